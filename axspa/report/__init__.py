"""The HTML report of an output folder (html) and the figures only it draws (figures)."""
