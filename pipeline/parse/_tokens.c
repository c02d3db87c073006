/* The token of pipeline/parse/tokens.py, and the loop that makes a text's tokens, in C.
 *
 * tokens.py is the definition: its dataclass Token and its tokenize() say what these do.  A
 * report makes ~320 tokens; as a dataclass each costs a call of a generated __init__, and the
 * loop that makes them was 7 % of the parse's CPU on the bench corpus.  Here a Token is a small
 * immutable object with the same five fields (kind, text, line, col, celled), the same equality
 * and repr, unhashable as the dataclass is; the lines' pieces still come from the Python
 * _line_tokens (cached there per line), so the two cannot read a line differently.
 *
 * Two loops over a text's tokens read the C Token's fields directly: LabelStream.of's (the
 * label text and the token of each of its characters) and sections.value_tokens.  Each was
 * 3-4 % of the parse.  Both are written in Python too, and used where the tokens are not C's.
 * tests/test_tokens.py holds each C function equal to its Python, output for output.
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

/* The C Token at tokens[i], or NULL with a TypeError: the functions below read fields directly. */
static Token *token_at(PyObject *tokens, Py_ssize_t i) {
    PyObject *t = PyList_GET_ITEM(tokens, i);
    if (!PyObject_TypeCheck(t, &TokenType)) {
        PyErr_Format(PyExc_TypeError, "token %zd is a %.100s, not a C Token", i, Py_TYPE(t)->tp_name);
        return NULL;
    }
    return (Token *)t;
}

/* Is the token's kind `kind` (one of the interned kind strings; equal strings count too)? */
static int is_kind(Token *t, PyObject *kind) {
    return t->kind == kind || (PyUnicode_Check(t->kind) && PyUnicode_Compare(t->kind, kind) == 0);
}

static int bounds(PyObject *tokens, Py_ssize_t *lo, Py_ssize_t *hi) {
    if (*lo < 0 || *hi > PyList_GET_SIZE(tokens) || *lo > *hi) {
        PyErr_SetString(PyExc_IndexError, "lo and hi must lie within the tokens, lo <= hi");
        return -1;
    }
    for (Py_ssize_t i = *lo; i < *hi; i++)
        if (token_at(tokens, i) == NULL) return -1;
    return 0;
}

/* label_text(tokens, lo, hi, text_kind, canon): anchors.LabelStream.of's loop.  The canonical
 * text of the TEXT tokens in tokens[lo:hi], joined, and for each of its characters the index of
 * the token it came from. */
static PyObject *label_text(PyObject *self, PyObject *args) {
    PyObject *tokens, *text_kind, *canon;
    Py_ssize_t lo, hi;
    if (!PyArg_ParseTuple(args, "O!nnUO:label_text", &PyList_Type, &tokens, &lo, &hi, &text_kind, &canon)) return NULL;
    if (bounds(tokens, &lo, &hi) < 0) return NULL;
    PyObject *parts = PyList_New(0), *owner = PyList_New(0), *joined = NULL, *empty = NULL;
    if (parts == NULL || owner == NULL) goto fail;
    for (Py_ssize_t i = lo; i < hi; i++) {
        Token *t = (Token *)PyList_GET_ITEM(tokens, i);
        if (!is_kind(t, text_kind)) continue;
        PyObject *c = PyObject_CallOneArg(canon, t->text);
        if (c == NULL) goto fail;
        if (!PyUnicode_Check(c) || PyList_Append(parts, c) < 0) {
            if (!PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, "canon must return a str");
            Py_DECREF(c);
            goto fail;
        }
        Py_ssize_t n = PyUnicode_GET_LENGTH(c);
        Py_DECREF(c);
        if (n == 0) continue;
        PyObject *index = PyLong_FromSsize_t(i);
        if (index == NULL) goto fail;
        for (Py_ssize_t k = 0; k < n; k++) {
            if (PyList_Append(owner, index) < 0) {
                Py_DECREF(index);
                goto fail;
            }
        }
        Py_DECREF(index);
    }
    empty = PyUnicode_New(0, 0);
    if (empty == NULL) goto fail;
    joined = PyUnicode_Join(empty, parts);
    Py_DECREF(empty);
    if (joined == NULL) goto fail;
    Py_DECREF(parts);
    return Py_BuildValue("(NN)", joined, owner);
fail:
    Py_XDECREF(parts);
    Py_XDECREF(owner);
    return NULL;
}

/* value_tokens(tokens, lo, hi, width, text_kind, blank_kind): sections.value_tokens, step for
 * step (that function says what it does and why); `pending` is its list of the same name. */
typedef struct {
    Py_ssize_t *items, len, cap;
} Indices;

static int push(Indices *v, Py_ssize_t i) {
    if (v->len == v->cap) {
        Py_ssize_t cap = v->cap ? 2 * v->cap : 64;
        Py_ssize_t *items = PyMem_Realloc(v->items, cap * sizeof(Py_ssize_t));
        if (items == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        v->items = items;
        v->cap = cap;
    }
    v->items[v->len++] = i;
    return 0;
}

static int flush(PyObject *tokens, Indices *pending, Py_ssize_t width, PyObject *blank_kind, Indices *out) {
    Py_ssize_t a = 0, b = pending->len; /* the values kept: pending[a:b] */
    while (b - a > width && is_kind((Token *)PyList_GET_ITEM(tokens, pending->items[b - 1]), blank_kind)) b--;
    while (b - a > width && is_kind((Token *)PyList_GET_ITEM(tokens, pending->items[a]), blank_kind)) a++;
    int keep = b - a >= width;
    for (Py_ssize_t k = a; k < b && !keep; k++)
        keep = !is_kind((Token *)PyList_GET_ITEM(tokens, pending->items[k]), blank_kind);
    for (Py_ssize_t k = a; keep && k < b; k++)
        if (push(out, pending->items[k]) < 0) return -1;
    pending->len = 0;
    return 0;
}

static PyObject *value_tokens(PyObject *self, PyObject *args) {
    PyObject *tokens, *text_kind, *blank_kind;
    Py_ssize_t lo, hi, width;
    if (!PyArg_ParseTuple(args, "O!nnnUU:value_tokens", &PyList_Type, &tokens, &lo, &hi, &width, &text_kind,
                          &blank_kind))
        return NULL;
    if (bounds(tokens, &lo, &hi) < 0) return NULL;
    Indices out = {NULL, 0, 0}, pending = {NULL, 0, 0};
    PyObject *result = NULL;
    Py_ssize_t i = lo;
    while (i < hi) {
        Token *tok = (Token *)PyList_GET_ITEM(tokens, i);
        int celled = PyObject_IsTrue(tok->celled);
        if (celled < 0) goto done;
        if (!celled) {
            if (pending.len && flush(tokens, &pending, width, blank_kind, &out) < 0) goto done;
            if (!is_kind(tok, text_kind) && push(&out, i) < 0) goto done;
            i++;
            continue;
        }
        Py_ssize_t j = i + 1;
        while (j < hi) {
            int same = PyObject_RichCompareBool(((Token *)PyList_GET_ITEM(tokens, j))->line, tok->line, Py_EQ);
            if (same < 0) goto done;
            if (!same) break;
            j++;
        }
        Py_ssize_t first = i; /* the values of the line: the cells after its last label cell */
        for (Py_ssize_t k = j - 1; k >= i; k--) {
            if (is_kind((Token *)PyList_GET_ITEM(tokens, k), text_kind)) {
                first = k + 1;
                break;
            }
        }
        if (j == i + 1 && !is_kind(tok, text_kind)) { /* a line of one value: one cell per line */
            if (push(&pending, i) < 0) goto done;
        } else {
            if (pending.len && flush(tokens, &pending, width, blank_kind, &out) < 0) goto done;
            for (Py_ssize_t k = first; k < j; k++)
                if (push(&pending, k) < 0) goto done;
            if (flush(tokens, &pending, width, blank_kind, &out) < 0) goto done;
        }
        i = j;
    }
    if (flush(tokens, &pending, width, blank_kind, &out) < 0) goto done;
    result = PyList_New(out.len);
    for (Py_ssize_t k = 0; result != NULL && k < out.len; k++) {
        PyObject *index = PyLong_FromSsize_t(out.items[k]);
        if (index == NULL) Py_CLEAR(result);
        else PyList_SET_ITEM(result, k, index);
    }
done:
    PyMem_Free(out.items);
    PyMem_Free(pending.items);
    return result;
}

static PyMethodDef methods[] = {
    {"tokenize", tokenize, METH_VARARGS, "tokens.tokenize's loop in C: (lines, start, end, bordered, line_tokens)."},
    {"label_text", label_text, METH_VARARGS, "anchors.LabelStream.of's loop in C: (tokens, lo, hi, text_kind, canon)."},
    {"value_tokens", value_tokens, METH_VARARGS,
     "sections.value_tokens in C: (tokens, lo, hi, width, text_kind, blank_kind)."},
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
