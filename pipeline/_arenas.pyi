def install() -> None: ...  # pymalloc's arenas from regions advised MADV_HUGEPAGE, for good
def stats() -> dict[str, int | bool]: ...  # installed, regions, arena_size, carved, emptied, counted, released
