/* work._Steps in C: the bookkeeping of a batch's steps under one timer, the base of
 * work._Deadline.
 *
 * work.py is the definition and says what the fields and methods are; this file does the same,
 * for speed alone.  A worker runs some ten steps a report (its decoding, then each stage of the
 * batch's parse), and each step's Python (the step, ``run``, ``begin``, ``end``: a few dozen
 * attribute loads and stores, two clock reads, a dict update) cost 51 k instructions a report,
 * 2 % of a worker's; the steps themselves are the parser's, compiled.  _Deadline's timer and
 * its handler (``_arm``, ``_ring``) stay Python: they run once a batch, or when the timer rings.
 *
 * Where the Python's interpreter would run a pending signal's handler between the step's own
 * code and its ``end``, this runs it too (PyErr_CheckSignals): a timeout that rings as a file's
 * step returns is still that file's.  The clock is time.monotonic's (CLOCK_MONOTONIC), which the
 * handler reads.  tests/test_batch.py holds the two to the same steps.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>
#include <time.h>

typedef struct {
    PyObject_HEAD
    double limit;      /* FILE_SECONDS, as the batch began */
    double until;      /* when the current file's time is up */
    double rings_at;   /* when the timer is set to ring */
    double started;    /* when the current file's step began, where `stepping` */
    int stepping;      /* a step is under way: `started` holds (the Python's started is not None) */
    char armed;        /* the timer is this object's (set by _Deadline) */
    Py_ssize_t file;   /* the current file's place in the batch */
    PyObject *spent;   /* dict: file -> its time in its steps so far */
    PyObject *places;  /* list: the file of each text of the group being parsed */
    PyObject *failed;  /* failed(file, exc): a step's failure made that file's reject */
} Steps;

static PyObject *S_ARM; /* "_arm" */

static double monotonic(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* spent.get(file, 0.0); -1 with an error set where spent is not a dict or holds a non-float */
static int spent_of(Steps *self, PyObject *key, double *out) {
    if (self->spent == NULL || !PyDict_CheckExact(self->spent)) {
        PyErr_SetString(PyExc_TypeError, "Steps.spent must be a dict");
        return -1;
    }
    PyObject *v = PyDict_GetItemWithError(self->spent, key);
    if (v == NULL) {
        *out = 0.0;
        return PyErr_Occurred() ? -1 : 0;
    }
    *out = PyFloat_AsDouble(v);
    return (*out == -1.0 && PyErr_Occurred()) ? -1 : 0;
}

/* _Steps.begin */
static int begin(Steps *self, Py_ssize_t file) {
    double now = monotonic(), spent;
    PyObject *key = PyLong_FromSsize_t(file);
    if (key == NULL) return -1;
    int failed = spent_of(self, key, &spent);
    Py_DECREF(key);
    if (failed) return -1;
    self->until = now + self->limit - spent;
    self->file = file;
    self->started = now;
    self->stepping = 1;
    if (self->armed && self->until < self->rings_at) {
        PyObject *seconds = PyFloat_FromDouble(self->until - now);
        if (seconds == NULL) return -1;
        PyObject *r = PyObject_CallMethodOneArg((PyObject *)self, S_ARM, seconds);
        Py_DECREF(seconds);
        if (r == NULL) return -1;
        Py_DECREF(r);
    }
    return 0;
}

/* _Steps.end */
static int end(Steps *self) {
    if (!self->stepping) return 0;
    double started = self->started, spent;
    self->stepping = 0;
    PyObject *key = PyLong_FromSsize_t(self->file);
    if (key == NULL) return -1;
    if (spent_of(self, key, &spent)) {
        Py_DECREF(key);
        return -1;
    }
    PyObject *total = PyFloat_FromDouble(spent + monotonic() - started);
    int failed = total == NULL || PyDict_SetItem(self->spent, key, total);
    Py_XDECREF(total);
    Py_DECREF(key);
    return failed ? -1 : 0;
}

/* fn(*args) as a step of `file`, a pending signal's handler run before the step ends; NULL with
 * the error set where either raised (the step's own error first: as the Python's finally,
 * an error of `end` replaces it) */
static PyObject *stepped(Steps *self, Py_ssize_t file, PyObject *fn, PyObject *const *args, size_t nargs) {
    PyObject *result = NULL;
    if (begin(self, file) == 0) {
        result = PyObject_Vectorcall(fn, args, nargs, NULL);
        if (result != NULL && PyErr_CheckSignals()) Py_CLEAR(result);
    }
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    if (end(self)) {
        Py_XDECREF(type);
        Py_XDECREF(value);
        Py_XDECREF(tb);
        Py_XDECREF(result);
        return NULL;
    }
    PyErr_Restore(type, value, tb);
    return result;
}

static PyObject *steps_begin(Steps *self, PyObject *file) {
    Py_ssize_t k = PyLong_AsSsize_t(file);
    if (k == -1 && PyErr_Occurred()) return NULL;
    if (begin(self, k)) return NULL;
    Py_RETURN_NONE;
}

static PyObject *steps_end(Steps *self, PyObject *unused) {
    if (end(self)) return NULL;
    Py_RETURN_NONE;
}

/* run(file, fn, *args) */
static PyObject *steps_run(Steps *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs < 2) {
        PyErr_SetString(PyExc_TypeError, "run(file, fn, *args)");
        return NULL;
    }
    Py_ssize_t k = PyLong_AsSsize_t(args[0]);
    if (k == -1 && PyErr_Occurred()) return NULL;
    return stepped(self, k, args[1], args + 2, (size_t)(nargs - 2));
}

/* step(i, stage, parse): the stage on text i of the group, that is file places[i]; what it
 * raises goes to failed(file, exc), and the text is dropped (None) */
static PyObject *steps_step(Steps *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 3) {
        PyErr_SetString(PyExc_TypeError, "step(i, stage, parse)");
        return NULL;
    }
    if (self->places == NULL || !PyList_CheckExact(self->places) || self->failed == NULL) {
        PyErr_SetString(PyExc_TypeError, "Steps.places (a list) and Steps.failed are set before step");
        return NULL;
    }
    Py_ssize_t i = PyLong_AsSsize_t(args[0]);
    if (i == -1 && PyErr_Occurred()) return NULL;
    if (i < 0 || i >= PyList_GET_SIZE(self->places)) {
        PyErr_SetString(PyExc_IndexError, "step: no such text in Steps.places");
        return NULL;
    }
    PyObject *place = Py_NewRef(PyList_GET_ITEM(self->places, i)); /* the stage may change the list */
    Py_ssize_t k = PyLong_AsSsize_t(place);
    if (k == -1 && PyErr_Occurred()) { /* a place that is no file's */
        Py_DECREF(place);
        return NULL;
    }
    PyObject *result = stepped(self, k, args[1], args + 2, 1);
    if (result != NULL) {
        Py_DECREF(place);
        return result;
    }
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    PyErr_NormalizeException(&type, &value, &tb);
    if (tb != NULL) PyException_SetTraceback(value, tb);
    PyObject *call[2] = {place, value}, *failed = Py_NewRef(self->failed);
    PyObject *r = PyObject_Vectorcall(failed, call, 2, NULL);
    Py_DECREF(failed);
    Py_DECREF(place);
    Py_XDECREF(type);
    Py_XDECREF(value);
    Py_XDECREF(tb);
    if (r == NULL) return NULL;
    Py_DECREF(r);
    Py_RETURN_NONE;
}

static PyObject *started_get(Steps *self, void *closure) {
    if (!self->stepping) Py_RETURN_NONE;
    return PyFloat_FromDouble(self->started);
}

static int started_set(Steps *self, PyObject *value, void *closure) {
    if (value == NULL || value == Py_None) {
        self->stepping = 0;
        return 0;
    }
    double v = PyFloat_AsDouble(value);
    if (v == -1.0 && PyErr_Occurred()) return -1;
    self->started = v;
    self->stepping = 1;
    return 0;
}

static int steps_traverse(Steps *self, visitproc visit, void *arg) {
    Py_VISIT(self->spent);
    Py_VISIT(self->places);
    Py_VISIT(self->failed);
    return 0;
}

static int steps_clear(Steps *self) {
    Py_CLEAR(self->spent);
    Py_CLEAR(self->places);
    Py_CLEAR(self->failed);
    return 0;
}

static void steps_dealloc(Steps *self) {
    PyObject_GC_UnTrack(self);
    steps_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyMemberDef steps_members[] = {
    {"limit", T_DOUBLE, offsetof(Steps, limit), 0, "FILE_SECONDS, as the batch began"},
    {"until", T_DOUBLE, offsetof(Steps, until), 0, "when the current file's time is up"},
    {"rings_at", T_DOUBLE, offsetof(Steps, rings_at), 0, "when the timer is set to ring"},
    {"armed", T_BOOL, offsetof(Steps, armed), 0, "the timer is this object's"},
    {"file", T_PYSSIZET, offsetof(Steps, file), 0, "the current file's place in the batch"},
    {"spent", T_OBJECT_EX, offsetof(Steps, spent), 0, "each file's time in its steps so far"},
    {"places", T_OBJECT_EX, offsetof(Steps, places), 0, "the file of each text of the group parsed"},
    {"failed", T_OBJECT_EX, offsetof(Steps, failed), 0, "failed(file, exc): a step's failure"},
    {NULL},
};

static PyGetSetDef steps_getset[] = {
    {"started", (getter)started_get, (setter)started_set, "when the current file's step began, or None", NULL},
    {NULL},
};

static PyMethodDef steps_methods[] = {
    {"begin", (PyCFunction)steps_begin, METH_O, "File `file` of the batch is worked on."},
    {"end", (PyCFunction)steps_end, METH_NOARGS, "The file's step is over."},
    {"run", (PyCFunction)(void (*)(void))steps_run, METH_FASTCALL, "fn(*args) as a step of file `file`."},
    {"step", (PyCFunction)(void (*)(void))steps_step, METH_FASTCALL, "A parse stage on text i of the group."},
    {NULL},
};

static PyTypeObject StepsType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "pipeline._steps.Steps",
    .tp_doc = "work._Steps in C: a batch's steps timed, each file's time the sum of its steps'.",
    .tp_basicsize = sizeof(Steps),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .tp_new = PyType_GenericNew,
    .tp_dealloc = (destructor)steps_dealloc,
    .tp_traverse = (traverseproc)steps_traverse,
    .tp_clear = (inquiry)steps_clear,
    .tp_members = steps_members,
    .tp_getset = steps_getset,
    .tp_methods = steps_methods,
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_steps", "work._Steps in C.", -1, NULL};

PyMODINIT_FUNC PyInit__steps(void) {
    S_ARM = PyUnicode_InternFromString("_arm");
    if (S_ARM == NULL || PyType_Ready(&StepsType) < 0) return NULL;
    PyObject *m = PyModule_Create(&module);
    if (m == NULL) return NULL;
    Py_INCREF(&StepsType);
    if (PyModule_AddObject(m, "Steps", (PyObject *)&StepsType) < 0) {
        Py_DECREF(&StepsType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
