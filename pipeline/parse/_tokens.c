/* The token of pipeline/parse/tokens.py, and the loop that makes a text's tokens, in C.
 *
 * tokens.py is the definition: its dataclass Token and its tokenize() say what these do.  A
 * report makes ~320 tokens; as a dataclass each costs a call of a generated __init__, and the
 * loop that makes them was 7 % of the parse's CPU on the bench corpus.  Here a Token is a small
 * immutable object with the same five fields (kind, text, line, col, celled), the same equality
 * and repr, unhashable as the dataclass is; the lines' pieces still come from the Python
 * _line_tokens (cached there per line), so the two cannot read a line differently.
 * tests/test_tokens.py holds the C tokens equal to the dataclass's, field for field.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>

typedef struct {
    PyObject_HEAD
    PyObject *kind;
    PyObject *text;
    PyObject *line;
    PyObject *col;
    PyObject *celled;
} Token;

#define N_FIELDS 5

static PyTypeObject TokenType;

static PyObject *make(PyObject *kind, PyObject *text, PyObject *line, PyObject *col, PyObject *celled) {
    Token *t = PyObject_New(Token, &TokenType);
    if (t == NULL) return NULL;
    Py_INCREF(kind);
    Py_INCREF(text);
    Py_INCREF(line);
    Py_INCREF(col);
    Py_INCREF(celled);
    t->kind = kind;
    t->text = text;
    t->line = line;
    t->col = col;
    t->celled = celled;
    return (PyObject *)t;
}

static PyObject **fields(Token *t) { return &t->kind; }

static void token_dealloc(Token *t) {
    Py_XDECREF(t->kind);
    Py_XDECREF(t->text);
    Py_XDECREF(t->line);
    Py_XDECREF(t->col);
    Py_XDECREF(t->celled);
    PyObject_Free(t);
}

/* Token(kind, text, line, col, celled), each by position or by name, as the dataclass takes them. */
static PyObject *token_new(PyTypeObject *type, PyObject *args, PyObject *kwargs) {
    static char *kwlist[] = {"kind", "text", "line", "col", "celled", NULL};
    PyObject *v[N_FIELDS];
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OOOOO:Token", kwlist, &v[0], &v[1], &v[2], &v[3], &v[4]))
        return NULL;
    return make(v[0], v[1], v[2], v[3], v[4]);
}

/* The call Token(...) with five positional arguments, without a tuple of them. */
static PyObject *token_vectorcall(PyObject *type, PyObject *const *args, size_t nargsf, PyObject *kwnames) {
    Py_ssize_t n = PyVectorcall_NARGS(nargsf);
    if (n == N_FIELDS && (kwnames == NULL || PyTuple_GET_SIZE(kwnames) == 0))
        return make(args[0], args[1], args[2], args[3], args[4]);
    PyObject *tuple = PyTuple_New(n);
    if (tuple == NULL) return NULL;
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_INCREF(args[i]);
        PyTuple_SET_ITEM(tuple, i, args[i]);
    }
    PyObject *kwargs = NULL;
    if (kwnames != NULL && PyTuple_GET_SIZE(kwnames) > 0) {
        kwargs = PyDict_New();
        for (Py_ssize_t i = 0; kwargs != NULL && i < PyTuple_GET_SIZE(kwnames); i++) {
            if (PyDict_SetItem(kwargs, PyTuple_GET_ITEM(kwnames, i), args[n + i]) < 0) Py_CLEAR(kwargs);
        }
        if (kwargs == NULL) {
            Py_DECREF(tuple);
            return NULL;
        }
    }
    PyObject *result = token_new((PyTypeObject *)type, tuple, kwargs);
    Py_DECREF(tuple);
    Py_XDECREF(kwargs);
    return result;
}

/* Field by field, as the dataclass compares (only with another Token). */
static PyObject *token_richcompare(PyObject *a, PyObject *b, int op) {
    if ((op != Py_EQ && op != Py_NE) || !PyObject_TypeCheck(b, &TokenType)) Py_RETURN_NOTIMPLEMENTED;
    PyObject **x = fields((Token *)a), **y = fields((Token *)b);
    for (int i = 0; i < N_FIELDS; i++) {
        int same = PyObject_RichCompareBool(x[i], y[i], Py_EQ);
        if (same < 0) return NULL;
        if (!same) return PyBool_FromLong(op == Py_NE);
    }
    return PyBool_FromLong(op == Py_EQ);
}

static PyObject *token_repr(Token *t) {
    return PyUnicode_FromFormat("Token(kind=%R, text=%R, line=%R, col=%R, celled=%R)", t->kind, t->text, t->line,
                                t->col, t->celled);
}

/* Pickled as the call that makes it again. */
static PyObject *token_reduce(Token *t, PyObject *unused) {
    return Py_BuildValue("O(OOOOO)", Py_TYPE(t), t->kind, t->text, t->line, t->col, t->celled);
}

static PyMemberDef token_members[] = {
    {"kind", T_OBJECT_EX, offsetof(Token, kind), READONLY, "T, N, A or B: text, number, not-applicable mark, blank"},
    {"text", T_OBJECT_EX, offsetof(Token, text), READONLY, "the token as printed"},
    {"line", T_OBJECT_EX, offsetof(Token, line), READONLY, "1-based line of the decoded text"},
    {"col", T_OBJECT_EX, offsetof(Token, col), READONLY, "offset in the line"},
    {"celled", T_OBJECT_EX, offsetof(Token, celled), READONLY, "the line is tab- or pipe-separated"},
    {NULL},
};

static PyMethodDef token_methods[] = {
    {"__reduce__", (PyCFunction)token_reduce, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject TokenType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "pipeline.parse.tokens.Token",
    .tp_doc = "One token of a report's text: tokens.Token, in C.",
    .tp_basicsize = sizeof(Token),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = token_new,
    .tp_vectorcall = token_vectorcall,
    .tp_dealloc = (destructor)token_dealloc,
    .tp_repr = (reprfunc)token_repr,
    .tp_hash = PyObject_HashNotImplemented,
    .tp_richcompare = token_richcompare,
    .tp_members = token_members,
    .tp_methods = token_methods,
};

/* tokenize(lines, start, end, bordered, line_tokens): the Tokens of lines[start:end], each
 * line's pieces (kind, text, col, celled) from line_tokens(line, bordered), numbered from start + 1. */
static PyObject *tokenize(PyObject *self, PyObject *args) {
    PyObject *lines, *bordered, *line_tokens;
    Py_ssize_t start, end;
    if (!PyArg_ParseTuple(args, "O!nnOO:tokenize", &PyList_Type, &lines, &start, &end, &bordered, &line_tokens))
        return NULL;
    if (start < 0) start = 0;
    if (end > PyList_GET_SIZE(lines)) end = PyList_GET_SIZE(lines);
    PyObject *out = PyList_New(0);
    if (out == NULL) return NULL;
    for (Py_ssize_t i = start; i < end; i++) {
        PyObject *call[2] = {PyList_GET_ITEM(lines, i), bordered};
        PyObject *pieces = PyObject_Vectorcall(line_tokens, call, 2, NULL);
        if (pieces == NULL) goto fail;
        if (!PyTuple_Check(pieces)) {
            PyErr_SetString(PyExc_TypeError, "line_tokens must return a tuple of (kind, text, col, celled)");
            Py_DECREF(pieces);
            goto fail;
        }
        Py_ssize_t n = PyTuple_GET_SIZE(pieces);
        PyObject *number = n ? PyLong_FromSsize_t(i + 1) : NULL;
        if (n && number == NULL) {
            Py_DECREF(pieces);
            goto fail;
        }
        for (Py_ssize_t k = 0; k < n; k++) {
            PyObject *piece = PyTuple_GET_ITEM(pieces, k);
            if (!PyTuple_Check(piece) || PyTuple_GET_SIZE(piece) != 4) {
                PyErr_SetString(PyExc_TypeError, "a piece must be (kind, text, col, celled)");
                Py_DECREF(number);
                Py_DECREF(pieces);
                goto fail;
            }
            PyObject *token = make(PyTuple_GET_ITEM(piece, 0), PyTuple_GET_ITEM(piece, 1), number,
                                   PyTuple_GET_ITEM(piece, 2), PyTuple_GET_ITEM(piece, 3));
            if (token == NULL || PyList_Append(out, token) < 0) {
                Py_XDECREF(token);
                Py_DECREF(number);
                Py_DECREF(pieces);
                goto fail;
            }
            Py_DECREF(token);
        }
        Py_XDECREF(number);
        Py_DECREF(pieces);
    }
    return out;
fail:
    Py_DECREF(out);
    return NULL;
}

static PyMethodDef methods[] = {
    {"tokenize", tokenize, METH_VARARGS, "tokens.tokenize's loop in C: (lines, start, end, bordered, line_tokens)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_tokens", "The Token of pipeline.parse.tokens, in C.", -1,
                                    methods};

PyMODINIT_FUNC PyInit__tokens(void) {
    if (PyType_Ready(&TokenType) < 0) return NULL;
    PyObject *m = PyModule_Create(&module);
    if (m == NULL) return NULL;
    Py_INCREF(&TokenType);
    if (PyModule_AddObject(m, "Token", (PyObject *)&TokenType) < 0) {
        Py_DECREF(&TokenType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
