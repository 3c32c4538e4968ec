"""Small helpers every layer may use: units and number formats (``units``), statistics over raw
samples (``stats``), file locks (``locks``), logging (``logs``), progress bars (``progress``),
deadlines for blocked work (``deadline``) and whether a process still runs (``pids``). Nothing
here knows about Docker, apps or results."""
