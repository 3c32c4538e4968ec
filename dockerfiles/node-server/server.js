// The seed's small Node.js HTTP server, listening where the kit's probe looks for it.
const express = require("express");

const app = express();
const port = Number(process.env.PORT || 3000);
const host = process.env.HOST || "127.0.0.1";

app.get("/", (_req, res) => {
  res.type("text/plain").send("hello from the image-diet kit\n");
});

app.listen(port, host, () => {
  console.log(`listening on ${host}:${port}`);
});
