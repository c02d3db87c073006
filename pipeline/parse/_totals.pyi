from pipeline.parse.totals import Args, Found

def search(*args: *Args) -> Found: ...  # totals.search, in C (plain inputs only)
