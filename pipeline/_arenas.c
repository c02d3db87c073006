/* Python's small-object arenas on transparent huge pages, for a parser worker.
 *
 * A worker's parse is pointer chasing: tokens, readings, the caches' entries, a few hundred
 * thousand small objects a report, scattered over a heap of tens of MB.  On 4 KB pages nearly
 * every step to a new object is a TLB miss, and in a virtual machine a miss walks two page
 * tables (the guest's and the host's).  This kernel hands out 2 MB pages only where asked to
 * (transparent_hugepage "madvise"), and pymalloc never asks: it maps each 1 MB arena on its own
 * and unmaps it again when it empties, so the pages are faulted in and zeroed again and again.
 *
 * ``install`` gives pymalloc an arena allocator (PyObject_SetArenaAllocator) that carves arenas
 * out of 64 MB regions aligned to 2 MB and advised MADV_HUGEPAGE, and keeps an emptied arena
 * for the next one asked for instead of unmapping it.  Arenas of another size, and every arena
 * the previous allocator made, go to the previous allocator; where a region cannot be mapped,
 * arenas come from it too.  Up to KEEP_EMPTIED emptied arenas stay in memory (a batch's objects
 * are freed and made again by the next batch); past that, an emptied arena's pages go back to the
 * kernel (MADV_DONTNEED), so a file that needed gigabytes (a PDF of hundreds of pages) does not
 * leave its worker holding them for the rest of the build.
 *
 * Nothing here changes what the parser computes: it is where its objects live.  The allocator is
 * called with the GIL held (pymalloc's rule), so it takes no lock of its own.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <sys/mman.h>

#define HUGE_PAGE ((size_t)2 << 20)
#define REGION ((size_t)64 << 20)
#define MAX_REGIONS 64   /* 4 GB of arenas; past that, arenas come from the previous allocator */
#define KEEP_EMPTIED 128 /* emptied arenas kept in memory: a worker's batch frees a few dozen */

static PyObjectArenaAllocator previous;
static int installed;
static size_t arena_size; /* the size of the first arena asked for: pymalloc asks one size */
static char *regions[MAX_REGIONS];
static int n_regions;
static char *next_free, *region_end; /* the unused rest of the last region */
static void *emptied;                /* arenas given back, each holding the next one's address */
static Py_ssize_t n_emptied;         /* arenas in that list */
static Py_ssize_t carved;            /* arenas cut from the regions */
static Py_ssize_t released;          /* arenas whose pages went back to the kernel */

static int in_regions(void *p) {
    for (int i = 0; i < n_regions; i++)
        if ((char *)p >= regions[i] && (char *)p < regions[i] + REGION) return 1;
    return 0;
}

/* A new region, aligned to a huge page (its unaligned ends unmapped), or 0 where none can be. */
static int new_region(void) {
    if (n_regions == MAX_REGIONS) return 0;
    char *raw = mmap(NULL, REGION + HUGE_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED) return 0;
    char *base = (char *)(((uintptr_t)raw + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1));
    if (base > raw) munmap(raw, (size_t)(base - raw));
    munmap(base + REGION, (size_t)(raw + HUGE_PAGE - base));
    madvise(base, REGION, MADV_HUGEPAGE); /* only advice: without it the region is plain pages */
    regions[n_regions++] = base;
    next_free = base;
    region_end = base + REGION;
    return 1;
}

static void *arena_alloc(void *ctx, size_t size) {
    (void)ctx;
    if (arena_size == 0 && size > 0 && size <= REGION && REGION % size == 0) arena_size = size;
    if (size != arena_size) return previous.alloc(previous.ctx, size);
    if (emptied != NULL) {
        void *arena = emptied;
        emptied = *(void **)arena;
        n_emptied--;
        return arena;
    }
    if (next_free == region_end && !new_region()) return previous.alloc(previous.ctx, size);
    void *arena = next_free;
    next_free += size;
    carved++;
    return arena;
}

static void arena_free(void *ctx, void *ptr, size_t size) {
    (void)ctx;
    if (in_regions(ptr)) {
        if (n_emptied >= KEEP_EMPTIED && madvise(ptr, size, MADV_DONTNEED) == 0) released++;
        *(void **)ptr = emptied; /* written after the advice: only the link's page comes back */
        emptied = ptr;
        n_emptied++;
        return;
    }
    previous.free(previous.ctx, ptr, size);
}

static PyObject *install(PyObject *self, PyObject *noargs) {
    (void)self;
    (void)noargs;
    if (!installed) {
        PyObjectArenaAllocator mine = {NULL, arena_alloc, arena_free};
        PyObject_GetArenaAllocator(&previous);
        PyObject_SetArenaAllocator(&mine);
        installed = 1;
    }
    Py_RETURN_NONE;
}

static PyObject *stats(PyObject *self, PyObject *noargs) {
    (void)self;
    (void)noargs;
    Py_ssize_t n = 0;
    for (void *a = emptied; a != NULL; a = *(void **)a) n++;
    return Py_BuildValue("{s:O,s:i,s:n,s:n,s:n,s:n,s:n}", "installed", installed ? Py_True : Py_False, "regions",
                         n_regions, "arena_size", (Py_ssize_t)arena_size, "carved", carved, "emptied", n, "counted",
                         n_emptied, "released", released);
}

static PyMethodDef methods[] = {
    {"install", install, METH_NOARGS,
     "Give pymalloc's arenas from 2 MB-aligned regions advised MADV_HUGEPAGE, kept when emptied; once per "
     "process, for good."},
    {"stats", stats, METH_NOARGS,
     "installed, regions mapped, the arena size, arenas cut from the regions, arenas emptied (the list walked, and "
     "as counted), arenas whose pages went back to the kernel."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_arenas", "pymalloc's arenas on huge pages.", -1,
                                    methods};

PyMODINIT_FUNC PyInit__arenas(void) { return PyModule_Create(&module); }
