"""Small helpers every layer may use: units and number formats (``units``), statistics over raw
samples (``stats``), file locks (``locks``), logging (``logs``) and progress bars (``progress``).
Nothing here knows about Docker, apps or results."""
