"""The serving file BI tools read: written whole, then renamed over the old one."""
