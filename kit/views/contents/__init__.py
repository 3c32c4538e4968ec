"""What one variant has and another lacks — files (gathered into the highest directories none of
whose paths the other variant has), single files and installed packages, with their bytes,
largest first: "what did slim remove?" (notebook 01, ``kit diff``)."""

from kit.views.contents.figures import plot_diff
from kit.views.contents.text import diff, facts, narrate, table

__all__ = ["diff", "facts", "narrate", "plot_diff", "table"]
