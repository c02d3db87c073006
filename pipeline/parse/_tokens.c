/* The token of pipeline/parse/tokens.py, the loops that make a text's tokens, and the loops over
 * them that the parser runs most, in C.
 *
 * tokens.py is the definition: its dataclass Token and its tokenize() say what these do.  A
 * report makes ~320 tokens; as a dataclass each costs a call of a generated __init__, and the
 * loop that makes them was 7 % of the parse's CPU on the bench corpus.  Here a Token is a small
 * immutable object with the same five fields (kind, text, line, col, celled), the same equality
 * and repr, unhashable as the dataclass is.  A line's pieces come from line_tokens, the Python
 * _line_tokens step for step (14.9 -> 5.2 us a line not seen before), cached per line by the C
 * tokenize in a dict that tokens.py holds (the Python is cached by an lru_cache).
 *
 * Loops over a text's tokens read the C Token's fields directly: LabelStream.of's (the label
 * text and the token of each of its characters), sections.value_tokens, sections.groups_of (the
 * runs of those values), readings._plain_readings (a row of one plain cell per token, read ~25
 * times a report), readings.totalled_readings (the totals search's readings placed on lines) and
 * readings._cut_readings (a row of fewer tokens than cells: glued digits cut, blanks put back),
 * parse._line_counts (the layout), sections._glued_numbers and _glued_after (is the text crawler
 * text, its numbers glued to their labels?), RunPlacer's two searches (a Placer:
 * best, the cheapest placement of section 三's runs, and alternatives, those one run away).  Each
 * was 2-17 % of the parse (or of a PDF text's).  All are written in Python
 * too, and used where the tokens are not C's.  tests/test_tokens.py holds each C function equal
 * to its Python, output for output.
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

/* Py_UNICODE_ISDECIMAL, _ISDIGIT and _ISSPACE of the BMP's characters, looked up in bitmaps
 * made from them when the module loads: for a CJK character each is a call into the Unicode
 * database, and the loops over a line's characters ask one or two of them per character. */
static unsigned char decimal_bits[0x10000 / 8], digit_bits[0x10000 / 8], space_bits[0x10000 / 8];
#define BIT(bits, ch) ((bits)[(ch) >> 3] >> ((ch) & 7) & 1)
#define SET_BIT(bits, ch) ((bits)[(ch) >> 3] |= (unsigned char)(1 << ((ch) & 7)))
static inline int is_decimal(Py_UCS4 ch) { return ch < 0x10000 ? BIT(decimal_bits, ch) : Py_UNICODE_ISDECIMAL(ch); }
static inline int is_digit(Py_UCS4 ch) { return ch < 0x10000 ? BIT(digit_bits, ch) : Py_UNICODE_ISDIGIT(ch); }
static inline int is_space(Py_UCS4 ch) { return ch < 0x10000 ? BIT(space_bits, ch) : Py_UNICODE_ISSPACE(ch); }

static void character_bits(void) {
    for (Py_UCS4 ch = 0; ch < 0x10000; ch++) {
        if (Py_UNICODE_ISDECIMAL(ch)) SET_BIT(decimal_bits, ch);
        if (Py_UNICODE_ISDIGIT(ch)) SET_BIT(digit_bits, ch);
        if (Py_UNICODE_ISSPACE(ch)) SET_BIT(space_bits, ch);
    }
}

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

/* Two str equal?  A token's kind is one of four interned constants, so a kind compared with
 * another kind is the same object or a different one of them: two interned strings are equal
 * only when they are one, and strings of other lengths or widths never.  PyUnicode_Compare for
 * each was 1.8 % of a worker's instructions. */
static int same_str(PyObject *a, PyObject *b) {
    if (a == b) return 1;
    if (!PyUnicode_Check(a)) return 0;
    if (PyUnicode_CheckExact(a) && PyUnicode_CheckExact(b) && PyUnicode_IS_READY(a) && PyUnicode_IS_READY(b)) {
        if (PyUnicode_CHECK_INTERNED(a) && PyUnicode_CHECK_INTERNED(b)) return 0;
        Py_ssize_t n = PyUnicode_GET_LENGTH(a);
        if (n != PyUnicode_GET_LENGTH(b) || PyUnicode_KIND(a) != PyUnicode_KIND(b)) return 0;
        return memcmp(PyUnicode_DATA(a), PyUnicode_DATA(b), (size_t)n * PyUnicode_KIND(a)) == 0;
    }
    return PyUnicode_Compare(a, b) == 0;
}

/* A growing array of indices (tokenize's labels' tokens, value_tokens' pending). */
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

/* A line's pieces, ((kind, text, col, celled), ...), as the cache keeps them: one flat tuple
 * (kind, text, col, celled, label, kind, ...), read in order when the line recurs, instead of a
 * tuple per piece scattered in memory; `label` is canon(text) for a piece of text_kind, else
 * None.  NULL with a TypeError where a piece is not a 4-tuple or canon gives no str. */
#define SLOTS 5
static PyObject *flat_pieces(PyObject *pieces, PyObject *text_kind, PyObject *canon) {
    if (!PyTuple_Check(pieces)) {
        PyErr_SetString(PyExc_TypeError, "line_tokens must return a tuple of (kind, text, col, celled)");
        return NULL;
    }
    Py_ssize_t n = PyTuple_GET_SIZE(pieces);
    PyObject *flat = PyTuple_New(SLOTS * n);
    if (flat == NULL) return NULL;
    for (Py_ssize_t k = 0; k < n; k++) {
        PyObject *piece = PyTuple_GET_ITEM(pieces, k);
        if (!PyTuple_Check(piece) || PyTuple_GET_SIZE(piece) != 4) {
            PyErr_SetString(PyExc_TypeError, "a piece must be (kind, text, col, celled)");
            Py_DECREF(flat);
            return NULL;
        }
        for (int f = 0; f < 4; f++) PyTuple_SET_ITEM(flat, SLOTS * k + f, Py_NewRef(PyTuple_GET_ITEM(piece, f)));
        PyObject *label = Py_None;
        if (same_str(PyTuple_GET_ITEM(piece, 0), text_kind)) {
            label = PyObject_CallOneArg(canon, PyTuple_GET_ITEM(piece, 1));
            if (label != NULL && !PyUnicode_Check(label)) {
                PyErr_SetString(PyExc_TypeError, "canon must return a str");
                Py_CLEAR(label);
            }
            if (label == NULL) {
                Py_DECREF(flat);
                return NULL;
            }
        } else {
            Py_INCREF(label);
        }
        PyTuple_SET_ITEM(flat, SLOTS * k + 4, label);
    }
    return flat;
}

/* tokens.labelled's loop: (lines, start, end, bordered, line_tokens, cache, cache_max,
 * text_kind, canon).  The Tokens of lines[start:end], numbered from start + 1: each line's
 * pieces (kind, text, col, celled) from line_tokens(line, bordered), kept in `cache` (line -> its
 * ``flat_pieces``, for this `bordered`): reports print the same lines.  The cache is emptied
 * when it holds cache_max lines.  With them, tokens.label_text of the tokens: the canonical text
 * of the text_kind tokens, joined, and for each of its characters the index of its token, from
 * the labels the cache keeps with the pieces (a lookup per token of its text, scattered in
 * memory, took more than the rest of the stream). */
static PyObject *tokenize(PyObject *self, PyObject *args) {
    PyObject *lines, *bordered, *line_tokens, *cache, *text_kind, *canon;
    Py_ssize_t start, end, cache_max;
    if (!PyArg_ParseTuple(args, "O!nnOOO!nUO:tokenize", &PyList_Type, &lines, &start, &end, &bordered, &line_tokens,
                          &PyDict_Type, &cache, &cache_max, &text_kind, &canon))
        return NULL;
    if (start < 0) start = 0;
    if (end > PyList_GET_SIZE(lines)) end = PyList_GET_SIZE(lines);
    PyObject *out = PyList_New(0), *labels = PyList_New(0), *owner = NULL, *joined = NULL;
    Indices from = {0}; /* each label's token */
    Py_ssize_t chars = 0;
    if (out == NULL || labels == NULL) goto fail;
    for (Py_ssize_t i = start; i < end; i++) {
        PyObject *line = PyList_GET_ITEM(lines, i);
        PyObject *flat = PyDict_GetItemWithError(cache, line);
        if (flat != NULL) {
            Py_INCREF(flat);
        } else {
            if (PyErr_Occurred()) goto fail;
            PyObject *call[2] = {line, bordered};
            PyObject *pieces = PyObject_Vectorcall(line_tokens, call, 2, NULL);
            if (pieces == NULL) goto fail;
            flat = flat_pieces(pieces, text_kind, canon);
            Py_DECREF(pieces);
            if (flat == NULL) goto fail;
            if (PyDict_GET_SIZE(cache) >= cache_max) PyDict_Clear(cache);
            if (PyDict_SetItem(cache, line, flat) < 0) {
                Py_DECREF(flat);
                goto fail;
            }
        }
        Py_ssize_t n = PyTuple_GET_SIZE(flat);
        PyObject *number = n ? PyLong_FromSsize_t(i + 1) : NULL;
        if (n && number == NULL) {
            Py_DECREF(flat);
            goto fail;
        }
        PyObject **f = &PyTuple_GET_ITEM(flat, 0);
        for (Py_ssize_t k = 0; k < n; k += SLOTS) {
            PyObject *token = make(f[k], f[k + 1], number, f[k + 2], f[k + 3]);
            int rc = token == NULL ? -1 : PyList_Append(out, token);
            Py_XDECREF(token);
            PyObject *label = f[k + 4];
            if (rc == 0 && label != Py_None && PyUnicode_GET_LENGTH(label) > 0) {
                rc = PyList_Append(labels, label);
                if (rc == 0) rc = push(&from, PyList_GET_SIZE(out) - 1);
                chars += PyUnicode_GET_LENGTH(label);
            }
            if (rc < 0) {
                Py_XDECREF(number);
                Py_DECREF(flat);
                goto fail;
            }
        }
        Py_XDECREF(number);
        Py_DECREF(flat);
    }
    owner = PyList_New(chars);
    if (owner == NULL) goto fail;
    for (Py_ssize_t p = 0, at = 0; p < PyList_GET_SIZE(labels); p++) {
        PyObject *index = PyLong_FromSsize_t(from.items[p]);
        if (index == NULL) goto fail;
        for (Py_ssize_t k = PyUnicode_GET_LENGTH(PyList_GET_ITEM(labels, p)); k > 0; k--)
            PyList_SET_ITEM(owner, at++, Py_NewRef(index));
        Py_DECREF(index);
    }
    PyObject *empty = PyUnicode_New(0, 0);
    if (empty == NULL) goto fail;
    joined = PyUnicode_Join(empty, labels);
    Py_DECREF(empty);
    if (joined == NULL) goto fail;
    Py_DECREF(labels);
    PyMem_Free(from.items);
    return Py_BuildValue("(NNN)", out, joined, owner);
fail:
    Py_XDECREF(out);
    Py_XDECREF(labels);
    Py_XDECREF(owner);
    PyMem_Free(from.items);
    return NULL;
}

/* The C Token at tokens[i] (a list, or a PySequence_Fast), or NULL with a TypeError: the
 * functions below read fields directly. */
static Token *token_at(PyObject *tokens, Py_ssize_t i) {
    PyObject *t = PySequence_Fast_GET_ITEM(tokens, i);
    if (!PyObject_TypeCheck(t, &TokenType)) {
        PyErr_Format(PyExc_TypeError, "token %zd is a %.100s, not a C Token", i, Py_TYPE(t)->tp_name);
        return NULL;
    }
    return (Token *)t;
}

/* The value of an int of one digit (a line number below 2**30), read from the int itself: a
 * line's number was converted twice a comparison, and a report's lines are compared 400 times. */
static inline int small_int(PyObject *v, long *out) {
    if (!PyLong_CheckExact(v)) return 0;
#if PY_VERSION_HEX >= 0x030C0000
    if (!PyUnstable_Long_IsCompact((PyLongObject *)v)) return 0;
    *out = (long)PyUnstable_Long_CompactValue((PyLongObject *)v);
    return 1;
#else
    Py_ssize_t size = Py_SIZE(v);
    if (size < -1 || size > 1) return 0;
    *out = size * (long)((PyLongObject *)v)->ob_digit[0];
    return 1;
#endif
}

/* PyObject_RichCompareBool(a, b, op) for two tokens' lines, op Py_LE or Py_EQ: ints that fit are
 * compared here (a line's tokens share its int: one test), others by Python. */
static int lines_compare(PyObject *a, PyObject *b, int op) {
    if (a == b && PyLong_CheckExact(a)) return 1; /* one int: equal, and so no greater */
    long x, y;
    if (small_int(a, &x) && small_int(b, &y)) return op == Py_LE ? x <= y : x == y;
    if (PyLong_CheckExact(a) && PyLong_CheckExact(b)) {
        int over_a, over_b;
        x = PyLong_AsLongAndOverflow(a, &over_a), y = PyLong_AsLongAndOverflow(b, &over_b);
        if (!over_a && !over_b) return op == Py_LE ? x <= y : x == y;
    }
    return PyObject_RichCompareBool(a, b, op);
}

static int is_kind(Token *t, PyObject *kind) { return same_str(t->kind, kind); }

static int bounds(PyObject *tokens, Py_ssize_t *lo, Py_ssize_t *hi) {
    if (*lo < 0 || *hi > PyList_GET_SIZE(tokens) || *lo > *hi) {
        PyErr_SetString(PyExc_IndexError, "lo and hi must lie within the tokens, lo <= hi");
        return -1;
    }
    for (Py_ssize_t i = *lo; i < *hi; i++)
        if (token_at(tokens, i) == NULL) return -1;
    return 0;
}

/* value_tokens(tokens, lo, hi, width, text_kind, blank_kind): sections.value_tokens, step for
 * step (that function says what it does and why); `pending` is its list of the same name. */
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
            int same = lines_compare(((Token *)PyList_GET_ITEM(tokens, j))->line, tok->line, Py_EQ);
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

/* groups_of(tokens, vals, text_kind): sections.groups_of, step for step (that function says what
 * it does and why).  A value token alone on its line is `single`; the tokens of a text come in
 * line order, so its neighbours in `vals` tell it, unless `vals` are out of that order, where
 * every pair is compared. */
static PyObject *groups_of(PyObject *self, PyObject *args) {
    PyObject *tokens, *vals, *text_kind;
    if (!PyArg_ParseTuple(args, "O!O!U:groups_of", &PyList_Type, &tokens, &PyList_Type, &vals, &text_kind))
        return NULL;
    Py_ssize_t n = PyList_GET_SIZE(vals), size = PyList_GET_SIZE(tokens);
    Py_ssize_t *idx = PyMem_Malloc((3 * n + 1) * sizeof(Py_ssize_t));
    if (idx == NULL) return PyErr_NoMemory();
    Py_ssize_t *line = idx + n, *single = idx + 2 * n;
    PyObject *out = NULL, *run = NULL;
    int ordered = 1;
    for (Py_ssize_t i = 0; i < n; i++) {
        idx[i] = PyLong_AsSsize_t(PyList_GET_ITEM(vals, i));
        if (idx[i] == -1 && PyErr_Occurred()) goto done;
        if (idx[i] < 0 || idx[i] >= size) {
            PyErr_SetString(PyExc_IndexError, "a value token's index lies outside the tokens");
            goto done;
        }
        Token *t = token_at(tokens, idx[i]);
        if (t == NULL) goto done;
        line[i] = PyLong_AsSsize_t(t->line);
        if (line[i] == -1 && PyErr_Occurred()) goto done;
        if (i && line[i] < line[i - 1]) ordered = 0;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        single[i] = 1;
        Py_ssize_t from = ordered ? (i ? i - 1 : 0) : 0, to = ordered ? (i + 1 < n ? i + 1 : i) : n - 1;
        for (Py_ssize_t j = from; j <= to && single[i]; j++)
            if (j != i && line[j] == line[i]) single[i] = 0;
    }
    out = PyList_New(0);
    if (out == NULL) goto done;
    for (Py_ssize_t i = 0; i < n; i++) {
        int joins = 0;
        if (run != NULL) {
            Py_ssize_t k = idx[i], prev = idx[i - 1]; /* a run always ends with the value before */
            joins = line[i] == line[i - 1] || (single[i] && single[i - 1]);
            for (Py_ssize_t m = prev + 1; joins && m < k; m++) {
                Token *t = token_at(tokens, m);
                if (t == NULL) goto fail;
                if (is_kind(t, text_kind)) joins = 0;
            }
        }
        if (!joins) {
            run = PyList_New(0);
            if (run == NULL) goto fail;
            int added = PyList_Append(out, run);
            Py_DECREF(run); /* `out` holds it */
            if (added < 0) goto fail;
        }
        if (PyList_Append(run, PyList_GET_ITEM(vals, i)) < 0) goto fail;
    }
    goto done;
fail:
    Py_CLEAR(out);
done:
    PyMem_Free(idx);
    return out;
}

/* Is `type` a tuple subclass of plain items, one a Reading is (readings.Reading)?  Raises if not. */
static int reading_type(PyTypeObject *type) {
    if (PyType_IsSubtype(type, &PyTuple_Type) && type->tp_itemsize == sizeof(PyObject *)) return 1;
    PyErr_SetString(PyExc_TypeError, "reading must be a tuple type (readings.Reading)");
    return 0;
}

/* A Reading (cells, cost, values, left_out) of `type`, as tuple.__new__ makes it, with no
 * left_out; steals `cells`, `cost` and `values`. */
static PyObject *new_reading(PyTypeObject *type, PyObject *cells, PyObject *cost, PyObject *values) {
    PyObject *reading = NULL;
    if (cost != NULL && cells != NULL && values != NULL) reading = type->tp_alloc(type, 4);
    if (reading == NULL) {
        Py_XDECREF(cost);
        Py_XDECREF(cells);
        Py_XDECREF(values);
        return NULL;
    }
    PyTuple_SET_ITEM(reading, 0, cells);
    PyTuple_SET_ITEM(reading, 1, cost);
    PyTuple_SET_ITEM(reading, 2, values);
    PyTuple_SET_ITEM(reading, 3, PyLong_FromLong(0)); /* a small int: cannot fail */
    return reading;
}

static long long below(PyObject *max_count) { /* max_count as a C integer where it is an int that fits, else -1 */
    long long max_below = PyLong_CheckExact(max_count) ? PyLong_AsLongLong(max_count) : -1;
    if (max_below == -1 && PyErr_Occurred()) PyErr_Clear();
    return max_below;
}

/* The value of a cell `raw` of digits (str.isdigit): an int (integer) or a float, as int() and
 * float() read it, up to 15 ASCII digits read here, exactly (a double holds them); in *large
 * whether it is max_count or more (max_below: ``below(max_count)``).  NULL on an error. */
static PyObject *digits_value(PyObject *raw, int integer, PyObject *max_count, long long max_below, int *large) {
    Py_ssize_t size = PyUnicode_GET_LENGTH(raw);
    int kind = PyUnicode_KIND(raw);
    const void *data = PyUnicode_DATA(raw);
    long long number = 0;
    for (Py_ssize_t c = 0; c < size && size <= 15 && number >= 0; c++) {
        Py_UCS4 ch = PyUnicode_READ(kind, data, c);
        number = ch >= '0' && ch <= '9' ? number * 10 + (ch - '0') : -1;
    }
    if (size <= 15 && number >= 0 && max_below >= 0) {
        *large = number >= max_below;
        return integer ? PyLong_FromLongLong(number) : PyFloat_FromDouble((double)number);
    }
    /* long, or digits that are not ASCII */
    PyObject *value = integer ? PyLong_FromUnicodeObject(raw, 10) : PyFloat_FromString(raw);
    *large = value == NULL ? -1 : PyObject_RichCompareBool(value, max_count, Py_GE);
    if (*large < 0) Py_CLEAR(value);
    return value;
}

/* readings._SIGNED_DECIMAL.fullmatch: [+-]?[0-9]+(\.[0-9]+)? */
static int signed_decimal(int kind, const void *data, Py_ssize_t size) {
    Py_ssize_t c = 0, start;
    if (c < size && (PyUnicode_READ(kind, data, c) == '+' || PyUnicode_READ(kind, data, c) == '-')) c++;
    for (start = c; c < size && PyUnicode_READ(kind, data, c) >= '0' && PyUnicode_READ(kind, data, c) <= '9';) c++;
    if (c == start) return 0;
    if (c < size && PyUnicode_READ(kind, data, c) == '.') {
        c++;
        for (start = c; c < size && PyUnicode_READ(kind, data, c) >= '0' && PyUnicode_READ(kind, data, c) <= '9';) c++;
        if (c == start) return 0;
    }
    return c == size;
}

/* plain_readings(tokens, integer, num_kind, max_count, reading): readings._plain_readings, step
 * for step: the usual row of one plain cell per token as its one Reading (none where a count is
 * too large), or None where a number is not plain digits. */
static PyObject *plain_of(PyObject *tokens, int integer, PyObject *num_kind, PyObject *max_count, long long max_below,
                          PyTypeObject *type);

static PyObject *plain_readings(PyObject *self, PyObject *args) {
    PyObject *seq, *num_kind, *max_count;
    PyTypeObject *type;
    int integer;
    if (!PyArg_ParseTuple(args, "OpUOO!:plain_readings", &seq, &integer, &num_kind, &max_count, &PyType_Type, &type))
        return NULL;
    if (!reading_type(type)) return NULL;
    PyObject *tokens = PySequence_Fast(seq, "tokens must be a sequence");
    if (tokens == NULL) return NULL;
    PyObject *found = plain_of(tokens, integer, num_kind, max_count, below(max_count), type);
    Py_DECREF(tokens);
    return found;
}

/* plain_readings of `tokens` (a list or tuple); max_below: max_count as a C integer, or -1 */
static PyObject *plain_of(PyObject *tokens, int integer, PyObject *num_kind, PyObject *max_count, long long max_below,
                          PyTypeObject *type) {
    Py_ssize_t n = PySequence_Fast_GET_SIZE(tokens);
    PyObject *cells = PyTuple_New(n), *values = PyTuple_New(n), *result = NULL;
    int too_large = 0;
    if (cells == NULL || values == NULL) goto done;
    for (Py_ssize_t i = 0; i < n; i++) {
        Token *t = token_at(tokens, i);
        if (t == NULL) goto done;
        PyObject *value = Py_None;
        if (is_kind(t, num_kind)) {
            if (!PyUnicode_Check(t->text)) {
                PyErr_Format(PyExc_TypeError, "token %zd's text is not a str", i);
                goto done;
            }
            Py_ssize_t size = PyUnicode_GET_LENGTH(t->text);
            int kind = PyUnicode_KIND(t->text);
            const void *data = PyUnicode_DATA(t->text);
            int digits = size > 0; /* str.isdigit() */
            for (Py_ssize_t c = 0; c < size && digits; c++) digits = is_digit(PyUnicode_READ(kind, data, c));
            if (digits) {
                int large;
                value = digits_value(t->text, integer, max_count, max_below, &large);
                if (value == NULL) goto done;
                too_large |= large;
            } else if (!integer && signed_decimal(kind, data, size)) {
                value = PyFloat_FromString(t->text);
                if (value == NULL) goto done;
            } else {
                result = Py_NewRef(Py_None); /* not plain: readings() reads the row otherwise */
                goto done;
            }
        } else {
            Py_INCREF(value);
        }
        PyObject *cell = PyTuple_Pack(3, t->text, value, t->line);
        PyTuple_SET_ITEM(values, i, value); /* `values` takes the reference */
        if (cell == NULL) goto done;
        PyTuple_SET_ITEM(cells, i, cell);
    }
    if (integer && too_large) {
        result = PyList_New(0);
        goto done;
    }
    PyObject *reading = new_reading(type, cells, PyFloat_FromDouble(0.0), values);
    cells = values = NULL; /* the reading took them */
    if (reading != NULL) {
        result = PyList_New(1);
        if (result != NULL)
            PyList_SET_ITEM(result, 0, reading);
        else
            Py_DECREF(reading);
    }
done:
    Py_XDECREF(cells);
    Py_XDECREF(values);
    return result;
}


static PyObject *totalled_of(PyObject *tokens, PyObject *search, PyObject *line, PyObject *totalled,
                             PyTypeObject *type, PyObject *num_kind);

/* sections._known for a row of other than `width` tokens, as sections._row_readings reads it:
 * sections._balanced, the search readings.searched with the first of `searches`, and where
 * that finds none in spaced text, with the second (readings.cut_apart of the first).
 * Every reading the search finds holds its row's total (the total is what it searches by), so
 * each is in the pool: *made is (readings, readings).  *made is left NULL where the row is the
 * Python's: a search the C leaves to it (NotImplemented), or none found (its readings() reads
 * the row then). */
static int balanced(PyObject *toks, int glued, PyObject *searches, PyObject *line, PyObject *totalled,
                    PyTypeObject *type, PyObject *num_kind, PyObject **made) {
    PyObject *opts = totalled_of(toks, PyTuple_GET_ITEM(searches, 0), line, totalled, type, num_kind);
    if (opts != NULL && opts != Py_NotImplemented && PyList_GET_SIZE(opts) == 0 && !glued) {
        Py_DECREF(opts);
        opts = totalled_of(toks, PyTuple_GET_ITEM(searches, 1), line, totalled, type, num_kind);
    }
    if (opts == NULL) return -1;
    int found = opts != Py_NotImplemented && PyList_GET_SIZE(opts) > 0;
    if (found) *made = PyTuple_Pack(2, opts, opts);
    Py_DECREF(opts);
    return found && *made == NULL ? -1 : 0;
}

/* row_pools(tokens, ends, codes, per_row, glued, seen, known_of, reading, num_kind, max_count,
 * width, searches, totalled): sections._row_pools, step for step: for each of section 三's
 * rows given tokens (per_row, None: not given), its readings and the pool the identities choose
 * from, kept in `seen` by the row's tokens and line.  A row of `width` plain numbers is read here
 * (plain_readings: its one reading is its pool), and so is a row of another width whose search
 * the C takes and finds readings (``balanced``); others by known_of(tokens, idx, glued, line),
 * sections._known.  `ends`
 * holds each row's label's last token (-1: its label not found).  Returns (options, pools,
 * unread): dicts by code, and (code, tokens) of the rows given tokens with no reading. */
static PyObject *row_pools(PyObject *self, PyObject *args) {
    PyObject *tokens, *ends, *codes, *rows_seq, *seen, *known_of, *num_kind, *max_count, *searches, *totalled;
    PyTypeObject *type;
    int glued;
    Py_ssize_t width;
    if (!PyArg_ParseTuple(args, "O!O!O!OpO!OO!UOnO!O:row_pools", &PyList_Type, &tokens, &PyList_Type, &ends,
                          &PyList_Type, &codes, &rows_seq, &glued, &PyDict_Type, &seen, &known_of, &PyType_Type,
                          &type, &num_kind, &max_count, &width, &PyTuple_Type, &searches, &totalled))
        return NULL;
    if (PyTuple_GET_SIZE(searches) != 2 || !PyTuple_Check(PyTuple_GET_ITEM(searches, 0)) ||
        !PyTuple_Check(PyTuple_GET_ITEM(searches, 1))) {
        PyErr_SetString(PyExc_TypeError, "searches must be two search tuples");
        return NULL;
    }
    if (!reading_type(type)) return NULL;
    long long max_below = below(max_count);
    PyObject *per_row = PySequence_Fast(rows_seq, "per_row must be a sequence");
    if (per_row == NULL) return NULL;
    PyObject *options = PyDict_New(), *pools = PyDict_New(), *unread = PyList_New(0), *result = NULL;
    PyObject *idx = NULL, *key = NULL, *made = NULL;
    Py_ssize_t n_tokens = PyList_GET_SIZE(tokens), rows = PySequence_Fast_GET_SIZE(per_row);
    if (options == NULL || pools == NULL || unread == NULL) goto done;
    if (PyList_GET_SIZE(ends) != rows || PyList_GET_SIZE(codes) != rows) {
        PyErr_SetString(PyExc_ValueError, "ends, codes and per_row must be as long");
        goto done;
    }
    for (Py_ssize_t r = 0; r < rows; r++) {
        PyObject *given = PySequence_Fast_GET_ITEM(per_row, r), *code = PyList_GET_ITEM(codes, r);
        if (given == Py_None) continue;
        if (!(idx = PySequence_Fast(given, "a row's tokens must be a sequence"))) goto done;
        Py_ssize_t m = PySequence_Fast_GET_SIZE(idx);
        Py_ssize_t end = PyLong_AsSsize_t(PyList_GET_ITEM(ends, r)), at = end;
        if (end == -1 && PyErr_Occurred()) goto done;
        if (end < 0 && m) {
            at = PyLong_AsSsize_t(PySequence_Fast_GET_ITEM(idx, 0));
            if (at == -1 && PyErr_Occurred()) goto done;
        }
        PyObject *line = Py_None; /* None: no line printed */
        if (end >= 0 || m) {
            if (at < 0 || at >= n_tokens) {
                PyErr_SetString(PyExc_IndexError, "a row's token past the tokens");
                goto done;
            }
            Token *t = token_at(tokens, at);
            if (t == NULL) goto done;
            line = t->line;
        }
        PyObject *as_tuple = PyTuple_CheckExact(given) ? Py_NewRef(given) : PySequence_Tuple(given);
        key = as_tuple ? PyTuple_Pack(2, as_tuple, line) : NULL;
        Py_XDECREF(as_tuple);
        if (key == NULL) goto done;
        PyObject *known = PyDict_GetItemWithError(seen, key); /* borrowed */
        if (known == NULL) {
            if (PyErr_Occurred()) goto done;
            PyObject *toks = PyTuple_New(m);
            for (Py_ssize_t c = 0; toks != NULL && c < m; c++) {
                Py_ssize_t k = PyLong_AsSsize_t(PySequence_Fast_GET_ITEM(idx, c));
                if (k < 0 || k >= n_tokens) {
                    if (!PyErr_Occurred()) PyErr_SetString(PyExc_IndexError, "a row's token past the tokens");
                    Py_CLEAR(toks);
                } else if (token_at(tokens, k) == NULL) {
                    Py_CLEAR(toks);
                } else {
                    PyTuple_SET_ITEM(toks, c, Py_NewRef(PyList_GET_ITEM(tokens, k)));
                }
            }
            if (toks == NULL) goto done;
            if (m == width) { /* the usual row: one plain cell per token */
                PyObject *plain = plain_of(toks, 1, num_kind, max_count, max_below, type);
                if (plain != NULL && plain != Py_None) made = PyTuple_Pack(2, plain, plain);
                int bad = plain == NULL || (plain != Py_None && made == NULL);
                Py_XDECREF(plain);
                if (bad) {
                    Py_DECREF(toks);
                    goto done;
                }
            } else if (balanced(toks, glued, searches, line, totalled, type, num_kind, &made) < 0) {
                Py_DECREF(toks);
                goto done;
            }
            Py_DECREF(toks);
            if (made == NULL) {
                PyObject *call[4] = {tokens, given, glued ? Py_True : Py_False, line};
                made = PyObject_Vectorcall(known_of, call, 4, NULL);
                if (made == NULL) goto done;
                if (!PyTuple_CheckExact(made) || PyTuple_GET_SIZE(made) != 2 || !PyList_Check(PyTuple_GET_ITEM(made, 0))) {
                    PyErr_SetString(PyExc_TypeError, "known_of must return (readings, pool), readings a list");
                    goto done;
                }
            }
            if (PyDict_SetItem(seen, key, made) < 0) goto done;
            known = made;
        }
        if (!PyTuple_CheckExact(known) || PyTuple_GET_SIZE(known) != 2 || !PyList_Check(PyTuple_GET_ITEM(known, 0))) {
            PyErr_SetString(PyExc_TypeError, "seen must hold (readings, pool), readings a list");
            goto done;
        }
        if (PyList_GET_SIZE(PyTuple_GET_ITEM(known, 0))) {
            if (PyDict_SetItem(options, code, PyTuple_GET_ITEM(known, 0)) < 0 ||
                PyDict_SetItem(pools, code, PyTuple_GET_ITEM(known, 1)) < 0)
                goto done;
        } else {
            PyObject *size = PyLong_FromSsize_t(m), *pair = size ? PyTuple_Pack(2, code, size) : NULL;
            Py_XDECREF(size);
            int bad = pair == NULL || PyList_Append(unread, pair) < 0;
            Py_XDECREF(pair);
            if (bad) goto done;
        }
        Py_CLEAR(made);
        Py_CLEAR(key);
        Py_CLEAR(idx);
    }
    result = PyTuple_Pack(3, options, pools, unread);
done:
    Py_XDECREF(made);
    Py_XDECREF(key);
    Py_XDECREF(idx);
    Py_DECREF(per_row);
    Py_XDECREF(options);
    Py_XDECREF(pools);
    Py_XDECREF(unread);
    return result;
}

/* totalled_readings(tokens, search, line, totalled, reading, num_kind): readings.totalled_readings
 * for the usual row, whose numbers have no sign and no thousands separator (one variant of its
 * tokens): the search `totalled(shape, *search)` over the tokens' kinds and texts, its cells
 * placed on the tokens' lines (a blank put back on `line`), each a Reading of `reading`.  Other
 * rows: NotImplemented. */
static PyObject *totalled_readings(PyObject *self, PyObject *args) {
    PyObject *seq, *search, *line, *totalled, *num_kind;
    PyTypeObject *type;
    if (!PyArg_ParseTuple(args, "OO!OOO!U:totalled_readings", &seq, &PyTuple_Type, &search, &line, &totalled,
                          &PyType_Type, &type, &num_kind))
        return NULL;
    if (!reading_type(type)) return NULL;
    PyObject *tokens = PySequence_Fast(seq, "tokens must be a sequence");
    if (tokens == NULL) return NULL;
    PyObject *out = totalled_of(tokens, search, line, totalled, type, num_kind);
    Py_DECREF(tokens);
    return out;
}

/* totalled_readings' work, of `tokens` (a list or a tuple) and `search` (a tuple). */
static PyObject *totalled_of(PyObject *tokens, PyObject *search, PyObject *line, PyObject *totalled,
                             PyTypeObject *type, PyObject *num_kind) {
    Py_ssize_t n = PySequence_Fast_GET_SIZE(tokens);
    PyObject *call = PyTuple_New(1 + PyTuple_GET_SIZE(search)), *shape = PyTuple_New(n);
    PyObject *found = NULL, *out = NULL;
    if (call == NULL || shape == NULL) goto done;
    for (Py_ssize_t i = 0; i < n; i++) {
        Token *t = token_at(tokens, i);
        if (t == NULL) goto done;
        if (!PyUnicode_Check(t->text)) goto decline;
        if (is_kind(t, num_kind)) { /* unsigned() and _ungrouped() leave it as it is */
            Py_ssize_t size = PyUnicode_GET_LENGTH(t->text);
            if (size == 0) goto decline;
            Py_UCS4 first = PyUnicode_READ_CHAR(t->text, 0);
            if (first < '0' || first > '9' || PyUnicode_FindChar(t->text, ',', 0, size, 1) != -1) goto decline;
        }
        PyObject *pair = PyTuple_Pack(2, t->kind, t->text);
        if (pair == NULL) goto done;
        PyTuple_SET_ITEM(shape, i, pair);
    }
    PyTuple_SET_ITEM(call, 0, shape);
    shape = NULL; /* the call took it */
    for (Py_ssize_t k = 0; k < PyTuple_GET_SIZE(search); k++)
        PyTuple_SET_ITEM(call, k + 1, Py_NewRef(PyTuple_GET_ITEM(search, k)));
    found = PyObject_Call(totalled, call, NULL);
    if (found == NULL) goto done;
    if (!PyTuple_CheckExact(found)) {
        PyErr_SetString(PyExc_TypeError, "totalled must return a tuple of (cells, cost)");
        goto done;
    }
    out = PyList_New(PyTuple_GET_SIZE(found));
    if (out == NULL) goto done;
    for (Py_ssize_t r = 0; r < PyTuple_GET_SIZE(found); r++) {
        PyObject *pair = PyTuple_GET_ITEM(found, r), *cells;
        if (!PyTuple_CheckExact(pair) || PyTuple_GET_SIZE(pair) != 2 ||
            !PyTuple_CheckExact(cells = PyTuple_GET_ITEM(pair, 0))) {
            PyErr_SetString(PyExc_TypeError, "totalled must return a tuple of (cells, cost)");
            Py_CLEAR(out);
            goto done;
        }
        Py_ssize_t m = PyTuple_GET_SIZE(cells);
        PyObject *placed = PyTuple_New(m), *values = PyTuple_New(m);
        for (Py_ssize_t c = 0; placed != NULL && values != NULL && c < m; c++) {
            PyObject *cell = PyTuple_GET_ITEM(cells, c), *at = NULL;
            Py_ssize_t k = -1;
            if (PyTuple_CheckExact(cell) && PyTuple_GET_SIZE(cell) == 3) {
                k = PyLong_AsSsize_t(PyTuple_GET_ITEM(cell, 2));
                if (k >= n) PyErr_SetString(PyExc_IndexError, "a cell's token index past the tokens");
                else if (k >= 0 || !PyErr_Occurred())
                    at = k < 0 ? line : ((Token *)PySequence_Fast_GET_ITEM(tokens, k))->line;
            } else {
                PyErr_SetString(PyExc_TypeError, "a found cell must be (raw, value, token index)");
            }
            PyObject *put = at ? PyTuple_Pack(3, PyTuple_GET_ITEM(cell, 0), PyTuple_GET_ITEM(cell, 1), at) : NULL;
            if (put == NULL) {
                Py_CLEAR(placed);
                break;
            }
            PyTuple_SET_ITEM(placed, c, put);
            PyTuple_SET_ITEM(values, c, Py_NewRef(PyTuple_GET_ITEM(cell, 1)));
        }
        PyObject *reading =
            placed && values ? new_reading(type, placed, Py_NewRef(PyTuple_GET_ITEM(pair, 1)), values) : NULL;
        if (reading == NULL) {
            if (!(placed && values)) {
                Py_XDECREF(placed);
                Py_XDECREF(values);
            }
            Py_CLEAR(out);
            goto done;
        }
        PyList_SET_ITEM(out, r, reading);
    }
    goto done;
decline:
    out = Py_NewRef(Py_NotImplemented);
done:
    Py_XDECREF(call);
    Py_XDECREF(shape);
    Py_XDECREF(found);
    return out;
}

/* cut_readings(tokens, n, integer, glued, line, weight, reading, num_kind, max_count, limits[,
 * cell_value]): readings._cut_readings step for step, for a row of fewer tokens than cells whose
 * numbers are each readings._SPLITTABLE with ASCII digits: plain digits, or, where `cell_value`
 * (readings.cell_value) is given, with a sign, thousands groups, a decimal part or a unit, whose
 * cells it reads (NotImplemented for other rows, and for weights it does not take):
 * the token cut into numbers every way (readings._cut's walk, its budget of steps and of cuts
 * counted as there), blanks put back every way, both at once in glued text; each a Reading of
 * `reading`, cheapest first (a stable sort), the implausible counts left out.  `limits` is
 * (MAX_READINGS, MAX_STEPS, MAX_SPLITS, MIXED_MAX_CELLS).  A blank's cost is summed as
 * Python 3.11's sum() adds floats, one after another. */
typedef struct {
    Py_ssize_t tok, a, b; /* a cell: tokens[tok].text[a:b] */
} Piece;

typedef struct {
    Py_ssize_t T;               /* the tokens */
    Py_ssize_t *cap, *rest_max; /* digits a token can be cut into (a mark: 1); their sum after it */
    Py_ssize_t *off, *len;      /* where a number's digits start (after its sign); its text's length */
    char *whole;                /* can the token stand as one cell */
    char *grouped;              /* a thousands group follows the number's digits */
    PyObject **number;          /* a number's text, its ASCII digits at off (NULL: a mark, a blank) */
    long long max_cuts, max_steps, max_splits;
    long long steps;
    Piece *acc;          /* the cut being walked, `depth` pieces */
    Py_ssize_t depth;
    Piece *cuts;         /* the cuts found, `width` pieces each */
    Py_ssize_t ncuts, room, width;
} Cutter;

static int record_cut(Cutter *C) {
    if (C->ncuts == C->room) {
        Py_ssize_t room = C->room ? 2 * C->room : 16;
        Piece *more = PyMem_Realloc(C->cuts, (size_t)(room * C->width) * sizeof(Piece));
        if (more == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        C->cuts = more, C->room = room;
    }
    memcpy(C->cuts + C->ncuts * C->width, C->acc, (size_t)C->width * sizeof(Piece));
    C->ncuts++;
    return 0;
}

/* math.comb(m, k) > limit, without computing what is past the limit */
static int comb_over(Py_ssize_t m, Py_ssize_t k, long long limit) {
    if (k > m - k) k = m - k;
    unsigned long long c = 1;
    for (Py_ssize_t j = 1; j <= k; j++) {
        c = c * (unsigned long long)(m - k + j) / (unsigned long long)j; /* C(m-k+j, j): exact */
        if (c > (unsigned long long)limit) return 1;
    }
    return 0;
}

/* readings._walk: from token i with `budget` cells to go */
static int walk(Cutter *C, Py_ssize_t i, Py_ssize_t budget) {
    C->steps++;
    if (C->ncuts >= C->max_cuts || C->steps > C->max_steps) return 0;
    if (i == C->T) return budget == 0 ? record_cut(C) : 0;
    Py_ssize_t top = budget - (C->T - i - 1), L = C->cap[i];
    if (top > L) top = L;
    for (Py_ssize_t parts = 1; parts <= top; parts++) {
        if (budget - parts > C->rest_max[i]) continue;
        if (parts == 1) { /* the token as it is, if it can stand so */
            if (!C->whole[i]) continue;
            if (C->steps > C->max_steps) return 0;
            C->acc[C->depth++] = (Piece){i, 0, C->len[i]};
            int bad = walk(C, i + 1, budget - 1);
            C->depth--;
            if (bad) return -1;
            continue;
        }
        if (comb_over(L - 1, parts - 1, C->max_splits)) continue; /* readings._splits: too many */
        Py_ssize_t k = parts - 1, cut[64]; /* parts <= budget <= n <= 64 */
        for (Py_ssize_t j = 0; j < k; j++) cut[j] = j + 1;
        PyObject *text = C->number[i];
        Py_ssize_t off = C->off[i], end = C->len[i];
        for (;;) {
            int valid = 1; /* no piece with a leading zero, but "0" */
            for (Py_ssize_t j = 0; j <= k && valid; j++) {
                Py_ssize_t a = j ? cut[j - 1] : 0, b = j < k ? cut[j] : L;
                valid = PyUnicode_READ_CHAR(text, off + a) != '0' || b - a == 1;
            }
            /* readings._leads: a thousands group is led by at most three digits */
            if (valid && C->grouped[i]) valid = L - cut[k - 1] <= 3;
            if (valid) {
                if (C->steps > C->max_steps) return 0;
                /* the sign goes with the first piece, the group, decimals and unit with the last */
                for (Py_ssize_t j = 0; j <= k; j++)
                    C->acc[C->depth++] = (Piece){i, j ? off + cut[j - 1] : 0, j < k ? off + cut[j] : end};
                int bad = walk(C, i + 1, budget - parts);
                C->depth -= k + 1;
                if (bad) return -1;
            }
            Py_ssize_t j = k - 1; /* the next combination, in itertools.combinations' order */
            while (j >= 0 && cut[j] == L - k + j) j--;
            if (j < 0) break;
            cut[j]++;
            for (Py_ssize_t m = j + 1; m < k; m++) cut[m] = cut[m - 1] + 1;
        }
    }
    return 0;
}

/* readings._cut: every cut of the tokens into `width` cells, in C->cuts */
static int cut_into(Cutter *C, Py_ssize_t width) {
    C->ncuts = 0, C->steps = 0, C->depth = 0;
    if (width > C->width) { /* room for wider cuts */
        PyMem_Free(C->cuts);
        C->cuts = NULL, C->room = 0;
        Piece *acc = PyMem_Realloc(C->acc, (size_t)width * sizeof(Piece));
        if (acc == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        C->acc = acc;
    }
    C->width = width;
    if (C->rest_max[0] + C->cap[0] >= width && width >= C->T) return walk(C, 0, width);
    return 0;
}

/* Whether `value` (cell_value's) is a count a reading may hold: readings._plausible's test. */
static int plausible_count(PyObject *value, PyObject *max_count) {
    if (value == Py_None) return 1;
    static PyObject *zero = NULL;
    if (zero == NULL && (zero = PyLong_FromLong(0)) == NULL) return -1;
    int low = PyObject_RichCompareBool(zero, value, Py_LE);
    if (low <= 0) return low;
    return PyObject_RichCompareBool(value, max_count, Py_LT);
}

/* A cell of the piece (raw, value, line), and whether its count is too large (integer rows):
 * digits read here, a piece with a sign, a group, decimals or a unit by `cell_value`. */
static PyObject *piece_cell(PyObject *tokens, Cutter *C, Piece p, int integer, PyObject *max_count,
                            long long max_below, PyObject *cell_value, int *large) {
    Token *t = (Token *)PySequence_Fast_GET_ITEM(tokens, p.tok);
    *large = 0;
    if (C->number[p.tok] == NULL) return PyTuple_Pack(3, t->text, Py_None, t->line);
    PyObject *raw = p.a == 0 && p.b == C->len[p.tok] ? Py_NewRef(t->text) : PyUnicode_Substring(t->text, p.a, p.b);
    if (raw == NULL) return NULL;
    PyObject *value;
    if (p.a >= C->off[p.tok] && p.b <= C->off[p.tok] + C->cap[p.tok]) { /* digits only */
        value = digits_value(raw, integer, max_count, max_below, large);
        *large = *large > 0 && integer; /* only a count can be too large */
    } else {
        PyObject *call[2] = {raw, integer ? Py_True : Py_False};
        value = PyObject_Vectorcall(cell_value, call, 2, NULL);
        int fits = value == NULL || !integer ? 1 : plausible_count(value, max_count);
        if (fits < 0) Py_CLEAR(value);
        *large = !fits;
    }
    PyObject *cell = value ? PyTuple_Pack(3, raw, value, t->line) : NULL;
    Py_DECREF(raw);
    Py_XDECREF(value);
    return cell;
}

/* readings._SPLITTABLE.fullmatch(text) with ASCII digits: [+-]?[0-9]+(,[0-9]{3})*(\.[0-9]+)?(万元|元)?.
 * The digits' start (after the sign) and count, and whether a group follows them; 0 where the
 * text is not one. */
static int splittable(PyObject *text, Py_ssize_t *off, Py_ssize_t *cap, char *grouped) {
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t size = PyUnicode_GET_LENGTH(text), c = 0;
#define DIGIT_AT(i) ((i) < size && PyUnicode_READ(kind, data, (i)) >= '0' && PyUnicode_READ(kind, data, (i)) <= '9')
    if (c < size && (PyUnicode_READ(kind, data, c) == '+' || PyUnicode_READ(kind, data, c) == '-')) c++;
    *off = c;
    while (DIGIT_AT(c)) c++;
    *cap = c - *off;
    if (*cap == 0) return 0;
    *grouped = c < size && PyUnicode_READ(kind, data, c) == ',';
    while (c + 3 < size && PyUnicode_READ(kind, data, c) == ',' && DIGIT_AT(c + 1) && DIGIT_AT(c + 2) && DIGIT_AT(c + 3))
        c += 4;
    if (c + 1 < size && PyUnicode_READ(kind, data, c) == '.' && DIGIT_AT(c + 1)) {
        c += 2;
        while (DIGIT_AT(c)) c++;
    }
    if (c + 1 < size && PyUnicode_READ(kind, data, c) == 0x4E07 /* 万 */ && PyUnicode_READ(kind, data, c + 1) == 0x5143)
        c += 2;
    else if (c < size && PyUnicode_READ(kind, data, c) == 0x5143 /* 元 */)
        c++;
#undef DIGIT_AT
    return c == size;
}

typedef struct {
    PyObject *list; /* the readings */
    double *cost;
    char *implausible;
    Py_ssize_t room;
} Found;

/* Add the Reading of `cells` (stolen) at `cost`. */
static int found_add(Found *F, PyTypeObject *type, PyObject *cells, double cost, int implausible) {
    Py_ssize_t n = PyList_GET_SIZE(F->list), m = cells ? PyTuple_GET_SIZE(cells) : 0;
    if (n == F->room) {
        Py_ssize_t room = F->room ? 2 * F->room : 32;
        double *c = PyMem_Realloc(F->cost, (size_t)room * sizeof(double));
        if (c != NULL) F->cost = c;
        char *f = c ? PyMem_Realloc(F->implausible, (size_t)room) : NULL;
        if (f == NULL) {
            Py_XDECREF(cells);
            PyErr_NoMemory();
            return -1;
        }
        F->implausible = f, F->room = room;
    }
    PyObject *values = cells ? PyTuple_New(m) : NULL;
    for (Py_ssize_t c = 0; values && c < m; c++)
        PyTuple_SET_ITEM(values, c, Py_NewRef(PyTuple_GET_ITEM(PyTuple_GET_ITEM(cells, c), 1)));
    PyObject *reading = new_reading(type, cells, PyFloat_FromDouble(cost), values);
    if (reading == NULL) return -1;
    int bad = PyList_Append(F->list, reading);
    Py_DECREF(reading);
    if (bad) return -1;
    F->cost[n] = cost, F->implausible[n] = (char)implausible;
    return 0;
}

typedef struct {
    double cost;
    Py_ssize_t at; /* the reading's place in the order found */
} Ranked;

static int by_cost(const void *x, const void *y) {
    const Ranked *a = x, *b = y;
    if (a->cost != b->cost) return a->cost < b->cost ? -1 : 1;
    return (a->at > b->at) - (a->at < b->at); /* ties in the order found: a stable sort */
}

static PyObject *cut_readings(PyObject *self, PyObject *args) {
    PyObject *seq, *line, *weight_arg, *num_kind, *max_count, *cell_value = NULL;
    PyTypeObject *type;
    Py_ssize_t n, mixed_max;
    int integer, glued;
    long long max_readings, max_steps, max_splits;
    if (!PyArg_ParseTuple(args, "OnppOOO!UO(LLLn)|O:cut_readings", &seq, &n, &integer, &glued, &line, &weight_arg,
                          &PyType_Type, &type, &num_kind, &max_count, &max_readings, &max_steps, &max_splits,
                          &mixed_max, &cell_value))
        return NULL;
    if (!reading_type(type)) return NULL;
    long long max_below = below(max_count);
    PyObject *tokens = PySequence_Fast(seq, "tokens must be a sequence");
    if (tokens == NULL) return NULL;
    Py_ssize_t T = PySequence_Fast_GET_SIZE(tokens);
    PyObject *out = NULL, *blank = NULL, **values = NULL;
    double *weight = PyMem_Calloc((size_t)(n > 0 ? n : 1), sizeof(double));
    Cutter C = {.T = T, .max_cuts = max_readings, .max_steps = max_steps, .max_splits = max_splits};
    Found F = {.list = PyList_New(0)};
    C.cap = PyMem_Calloc((size_t)(4 * T + 1), sizeof(Py_ssize_t));
    C.rest_max = C.cap ? C.cap + T : NULL;
    C.off = C.cap ? C.cap + 2 * T : NULL;
    C.len = C.cap ? C.cap + 3 * T : NULL;
    C.whole = PyMem_Calloc((size_t)(2 * T + 1), 1);
    C.grouped = C.whole ? C.whole + T : NULL;
    C.number = PyMem_Calloc((size_t)(T + 1), sizeof(PyObject *));
    values = PyMem_Calloc((size_t)(n > 0 ? n : 1), sizeof(PyObject *));
    if (weight == NULL || C.cap == NULL || C.whole == NULL || C.number == NULL || values == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    if (F.list == NULL) goto done;
    if (T >= n || n > 64) goto decline; /* not a row this reads (readings() reads those otherwise) */
    int weighted = PyObject_IsTrue(weight_arg); /* blank_weight or (1.0,) * n */
    if (weighted < 0) goto done;
    if (weighted) {
        PyObject *w = PySequence_Fast(weight_arg, "blank_weight must be a sequence");
        if (w == NULL) goto done;
        int takes = PySequence_Fast_GET_SIZE(w) >= n;
        for (Py_ssize_t k = 0; takes && k < n; k++) {
            PyObject *x = PySequence_Fast_GET_ITEM(w, k);
            takes = PyFloat_CheckExact(x);
            if (takes) weight[k] = PyFloat_AS_DOUBLE(x);
        }
        Py_DECREF(w);
        if (!takes) goto decline;
    } else {
        for (Py_ssize_t k = 0; k < n; k++) weight[k] = 1.0;
    }
    for (Py_ssize_t i = 0; i < T; i++) {
        Token *t = token_at(tokens, i);
        if (t == NULL) goto done;
        C.cap[i] = 1, C.whole[i] = 1;
        if (!is_kind(t, num_kind)) continue;
        if (!PyUnicode_Check(t->text) || !splittable(t->text, &C.off[i], &C.cap[i], &C.grouped[i])) goto decline;
        C.len[i] = PyUnicode_GET_LENGTH(t->text);
        if (cell_value == NULL && C.len[i] != C.cap[i]) goto decline; /* only digits without it */
        C.number[i] = t->text; /* borrowed: the tokens hold it */
        /* readings._whole: no leading zero but "0", and a group led by at most three digits */
        C.whole[i] =
            (PyUnicode_READ_CHAR(t->text, C.off[i]) != '0' || C.cap[i] == 1) && (!C.grouped[i] || C.cap[i] <= 3);
    }
    for (Py_ssize_t i = T - 1; i > 0; i--) C.rest_max[i - 1] = C.rest_max[i] + C.cap[i];
    PyObject *empty = PyUnicode_New(0, 0);
    blank = empty ? PyTuple_Pack(3, empty, Py_None, line) : NULL; /* a blank put back: ("", None, line) */
    Py_XDECREF(empty);
    if (blank == NULL) goto done;
    double split_cost = glued ? 0.1 : 3.0, blank_cost = glued ? 3.0 : 0.5;
    /* every cut into n cells */
    if (cut_into(&C, n) < 0) goto done;
    for (Py_ssize_t r = 0; r < C.ncuts; r++) {
        PyObject *cells = PyTuple_New(n);
        int implausible = 0;
        for (Py_ssize_t c = 0; cells && c < n; c++) {
            int large;
            PyObject *cell =
                piece_cell(tokens, &C, C.cuts[r * n + c], integer, max_count, max_below, cell_value, &large);
            if (cell == NULL) Py_CLEAR(cells);
            else PyTuple_SET_ITEM(cells, c, cell);
            implausible |= large;
        }
        if (cells == NULL || found_add(&F, type, cells, (double)(n - T) * split_cost, implausible) < 0) goto done;
    }
    /* fewer cells than n, and blanks put back */
    Py_ssize_t first = T, last = glued && n <= mixed_max ? n - 1 : T;
    for (Py_ssize_t size = first; size <= last; size++) {
        Py_ssize_t ncuts;
        if (size > T) {
            if (cut_into(&C, size) < 0) goto done;
            ncuts = C.ncuts;
        } else { /* the tokens as they are, if each can stand as one cell */
            ncuts = 1;
            for (Py_ssize_t i = 0; i < T; i++) ncuts &= C.whole[i];
        }
        for (Py_ssize_t r = 0; r < ncuts; r++) {
            int implausible = 0;
            for (Py_ssize_t c = 0; c < size; c++) {
                int large;
                Piece p = size > T ? C.cuts[r * size + c] : (Piece){c, 0, C.len[c]};
                Py_XSETREF(values[c], piece_cell(tokens, &C, p, integer, max_count, max_below, cell_value, &large));
                if (values[c] == NULL) goto done;
                implausible |= large;
            }
            Py_ssize_t k = n - size, slot[64];
            for (Py_ssize_t j = 0; j < k; j++) slot[j] = j;
            for (;;) {
                PyObject *cells = PyTuple_New(n);
                if (cells == NULL) goto done;
                double blanks = 0.0;
                for (Py_ssize_t pos = 0, j = 0, v = 0; pos < n; pos++) {
                    if (j < k && slot[j] == pos) {
                        PyTuple_SET_ITEM(cells, pos, Py_NewRef(blank));
                        blanks += blank_cost * weight[pos];
                        j++;
                    } else {
                        PyTuple_SET_ITEM(cells, pos, Py_NewRef(values[v++]));
                    }
                }
                if (found_add(&F, type, cells, (double)(size - T) * split_cost + blanks, implausible) < 0) goto done;
                if (PyList_GET_SIZE(F.list) >= max_readings) goto sort;
                Py_ssize_t j = k - 1; /* the next slots, in itertools.combinations' order */
                while (j >= 0 && slot[j] == n - k + j) j--;
                if (j < 0) break;
                slot[j]++;
                for (Py_ssize_t m = j + 1; m < k; m++) slot[m] = slot[m - 1] + 1;
            }
        }
        if (PyList_GET_SIZE(F.list) >= max_readings) break; /* as full after a size with no cuts */
    }
sort:;
    Py_ssize_t total = PyList_GET_SIZE(F.list);
    Ranked *order = PyMem_Malloc((size_t)(total + 1) * sizeof(Ranked));
    if (order == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t r = 0; r < total; r++) order[r] = (Ranked){F.cost[r], r};
    qsort(order, (size_t)total, sizeof(Ranked), by_cost);
    out = PyList_New(0);
    for (Py_ssize_t r = 0; out && r < total; r++) {
        if (F.implausible[order[r].at]) continue;
        if (PyList_Append(out, PyList_GET_ITEM(F.list, order[r].at)) < 0) Py_CLEAR(out);
    }
    PyMem_Free(order);
    goto done;
decline:
    out = Py_NewRef(Py_NotImplemented);
done:
    for (Py_ssize_t c = 0; values && c < n; c++) Py_XDECREF(values[c]);
    PyMem_Free(values);
    Py_XDECREF(blank);
    Py_XDECREF(F.list);
    PyMem_Free(F.cost);
    PyMem_Free(F.implausible);
    PyMem_Free(C.cap);
    PyMem_Free(C.whole);
    PyMem_Free(C.number);
    PyMem_Free(C.acc);
    PyMem_Free(C.cuts);
    PyMem_Free(weight);
    Py_DECREF(tokens);
    return out;
}

/* line_tokens(line, bordered): tokens._line_tokens, step for step (that function and the ones it
 * calls say what each step does and why).  tokens.py calls configure() once with the template's
 * data and its compiled patterns.  The patterns a line or a label is matched against whole (page
 * chrome, a Markdown rule, a digit-count header, an ordinal) stay Python's re, called from here,
 * and so does the rare label piece that holds marks (_text_or_marks).  Written here are the loops
 * over a line's characters: cells, chunks, and the numbers cut out of glued text as _NUMBER reads
 * them, [+-]?\d+(,\d{3})*(\.\d+)?(万元|元)? with \d a Unicode decimal digit (as re's \d and
 * str.isdecimal), and \s a Unicode space (as re's \s, str.strip and str.split). */
enum {
    C_TEXT, C_NUM, C_NA, C_BLANK, /* the kinds */
    C_NA_CELLS, C_MARK_PAIRS, C_WORD_MARKS, /* frozensets of str */
    C_MARKS,                                /* str: the one-character marks */
    C_NOISE, C_MD_RULE, C_ORDINAL,          /* fullmatch methods of compiled patterns */
    C_DIGIT_HINTS,                          /* tuple of str: a line may hold a digit header */
    C_DIGIT_SUB,                            /* line -> the line with its digit headers masked */
    C_TEXT_OR_MARKS,                        /* (piece, col, celled, out) -> None, appends to out */
    C_NOISE_STARTS,                         /* str: what page chrome starts with, but for a digit */
    N_CONFIG
};
static PyObject *config[N_CONFIG];
static unsigned char mark_bits[0x10000 / 8]; /* configure()'s marks among the BMP's characters */
static unsigned char hint_bits[0x10000 / 8]; /* the first characters of the digit-header hints */
static int hint_astral;                       /* a hint starts outside the BMP */
static Py_ssize_t noise_max = -1;             /* -1: not configured */
static Py_ssize_t na_max;                     /* the longest not-applicable cell */

static PyObject *configure(PyObject *self, PyObject *args) {
    PyObject *v[N_CONFIG];
    Py_ssize_t max;
    if (!PyArg_ParseTuple(args, "UUUUO!O!O!UOOOO!OOUn:configure", &v[C_TEXT], &v[C_NUM], &v[C_NA], &v[C_BLANK],
                          &PyFrozenSet_Type, &v[C_NA_CELLS], &PyFrozenSet_Type, &v[C_MARK_PAIRS], &PyFrozenSet_Type,
                          &v[C_WORD_MARKS], &v[C_MARKS], &v[C_NOISE], &v[C_MD_RULE], &v[C_ORDINAL], &PyTuple_Type,
                          &v[C_DIGIT_HINTS], &v[C_DIGIT_SUB], &v[C_TEXT_OR_MARKS], &v[C_NOISE_STARTS], &max))
        return NULL;
    for (int k = 0; k < N_CONFIG; k++) {
        Py_INCREF(v[k]);
        Py_XSETREF(config[k], v[k]);
    }
    noise_max = max;
    memset(mark_bits, 0, sizeof mark_bits);
    for (Py_ssize_t i = 0; i < PyUnicode_GET_LENGTH(v[C_MARKS]); i++) {
        Py_UCS4 ch = PyUnicode_READ_CHAR(v[C_MARKS], i);
        if (ch < 0x10000) SET_BIT(mark_bits, ch);
    }
    memset(hint_bits, 0, sizeof hint_bits);
    hint_astral = 0;
    for (Py_ssize_t h = 0; h < PyTuple_GET_SIZE(v[C_DIGIT_HINTS]); h++) {
        PyObject *hint = PyTuple_GET_ITEM(v[C_DIGIT_HINTS], h);
        if (!PyUnicode_Check(hint) || PyUnicode_GET_LENGTH(hint) == 0) {
            PyErr_SetString(PyExc_TypeError, "a digit-header hint must be a non-empty str");
            return NULL;
        }
        Py_UCS4 ch = PyUnicode_READ_CHAR(hint, 0);
        if (ch < 0x10000)
            SET_BIT(hint_bits, ch);
        else
            hint_astral = 1;
    }
    na_max = 0;
    PyObject *it = PyObject_GetIter(v[C_NA_CELLS]), *cell;
    if (it == NULL) return NULL;
    while ((cell = PyIter_Next(it)) != NULL) {
        if (PyUnicode_Check(cell) && PyUnicode_GET_LENGTH(cell) > na_max) na_max = PyUnicode_GET_LENGTH(cell);
        Py_DECREF(cell);
    }
    Py_DECREF(it);
    if (PyErr_Occurred()) return NULL;
    Py_RETURN_NONE;
}

typedef struct {
    PyObject *line; /* the line read (after digit headers are masked) */
    int kind;
    const void *data;
    Py_ssize_t len;
    PyObject *out; /* list of (kind, text, col, celled) */
} Line;

#define CH(L, i) PyUnicode_READ((L)->kind, (L)->data, (i))

static int is_mark(Py_UCS4 ch) {
    if (ch < 0x10000) return BIT(mark_bits, ch);
    PyObject *marks = config[C_MARKS];
    return PyUnicode_FindChar(marks, ch, 0, PyUnicode_GET_LENGTH(marks), 1) >= 0;
}

/* Append (kind, line[a:b], col, celled); `text` instead of the slice where given. */
static int piece(Line *L, PyObject *kind, Py_ssize_t a, Py_ssize_t b, PyObject *text, Py_ssize_t col, int celled) {
    PyObject *t = text ? Py_NewRef(text) : PyUnicode_Substring(L->line, a, b);
    if (t == NULL) return -1;
    PyObject *c = PyLong_FromSsize_t(col);
    if (c == NULL) {
        Py_DECREF(t);
        return -1;
    }
    PyObject *p = PyTuple_Pack(4, kind, t, c, celled ? Py_True : Py_False);
    Py_DECREF(t);
    Py_DECREF(c);
    if (p == NULL) return -1;
    int rc = PyList_Append(L->out, p);
    Py_DECREF(p);
    return rc;
}

static int all_decimal(Line *L, Py_ssize_t a, Py_ssize_t b) {
    if (a >= b) return 0;
    for (Py_ssize_t i = a; i < b; i++)
        if (!is_decimal(CH(L, i))) return 0;
    return 1;
}

/* _text_or_marks(line[a:b], ...): label text, unless it holds a mark (Python reads that). */
static int text_or_marks(Line *L, Py_ssize_t a, Py_ssize_t b, int celled) {
    int marked = 0;
    for (Py_ssize_t i = a; i < b && !marked; i++) marked = is_mark(CH(L, i));
    if (!marked) return piece(L, config[C_TEXT], a, b, NULL, a, celled);
    PyObject *text = PyUnicode_Substring(L->line, a, b), *col = PyLong_FromSsize_t(a);
    PyObject *r = NULL;
    if (text != NULL && col != NULL) {
        PyObject *call[4] = {text, col, celled ? Py_True : Py_False, L->out};
        r = PyObject_Vectorcall(config[C_TEXT_OR_MARKS], call, 4, NULL);
    }
    Py_XDECREF(text);
    Py_XDECREF(col);
    Py_XDECREF(r);
    return r == NULL ? -1 : 0;
}

/* _signs_after(ch): can a "-" after `ch` be the sign of the number after it? */
static int signs_after(Py_UCS4 ch) { return is_digit(ch) || (ch >= 128 && !is_mark(ch)); }

/* The end of the _NUMBER match at i, or -1 where none starts at i. */
static Py_ssize_t number_at(Line *L, Py_ssize_t i, Py_ssize_t b) {
    Py_ssize_t k = i;
    if (CH(L, k) == '+' || CH(L, k) == '-') k++;
    if (k >= b || !is_decimal(CH(L, k))) return -1;
    while (k < b && is_decimal(CH(L, k))) k++;
    while (k + 3 < b && CH(L, k) == ',' && is_decimal(CH(L, k + 1)) && is_decimal(CH(L, k + 2)) &&
           is_decimal(CH(L, k + 3)))
        k += 4;
    if (k + 1 < b && CH(L, k) == '.' && is_decimal(CH(L, k + 1))) {
        k += 2;
        while (k < b && is_decimal(CH(L, k))) k++;
    }
    if (k + 1 < b && CH(L, k) == 0x4E07 /* 万 */ && CH(L, k + 1) == 0x5143 /* 元 */) k += 2;
    else if (k < b && CH(L, k) == 0x5143) k++;
    return k;
}

/* _chunk_tokens(line[a:b], col=a, celled). */
static int chunk_tokens(Line *L, Py_ssize_t a, Py_ssize_t b, int celled) {
    if (all_decimal(L, a, b)) return piece(L, config[C_NUM], a, b, NULL, a, celled);
    if (b - a <= na_max) { /* no longer chunk is a not-applicable cell */
        PyObject *chunk = PyUnicode_Substring(L->line, a, b);
        if (chunk == NULL) return -1;
        int na = PySet_Contains(config[C_NA_CELLS], chunk);
        int rc = na < 0 ? -1 : na ? piece(L, config[C_NA], a, b, chunk, a, celled) : 1;
        Py_DECREF(chunk);
        if (rc != 1) return rc;
    }
    int digit = 0;
    for (Py_ssize_t i = a; i < b && !digit; i++) digit = is_decimal(CH(L, i));
    if (!digit) return text_or_marks(L, a, b, celled);
    Py_ssize_t pos = a, i = a;
    while (i < b) {
        Py_ssize_t end = number_at(L, i, b);
        if (end < 0) {
            i++;
            continue;
        }
        Py_ssize_t start = i, stop = end;
        if (start > a && CH(L, start) == '-' && !signs_after(CH(L, start - 1))) start++;
        i = end; /* the search goes on after the match, whatever is made of it */
        if (end < b && (CH(L, end) == '.' || CH(L, end) == 0x3001 /* 、 */) &&
            !(end + 1 < b && is_decimal(CH(L, end + 1))) && is_digit(CH(L, end - 1))) {
            stop = end - 1; /* "2.其他法律": the last digit numbers the label */
            if (stop == start || (stop == start + 1 && (CH(L, start) == '+' || CH(L, start) == '-'))) continue;
        }
        if (start > pos && text_or_marks(L, pos, start, celled) < 0) return -1;
        if (piece(L, config[C_NUM], start, stop, NULL, start, celled) < 0) return -1;
        pos = stop;
    }
    return pos < b ? text_or_marks(L, pos, b, celled) : 0;
}

/* The chunks (runs of non-space) of line[a:b], each through chunk_tokens; in a space-separated
 * line (`spaced`) a mark before a chunk it forms a label's pair of characters with is text. */
static int chunks(Line *L, Py_ssize_t a, Py_ssize_t b, int celled, int spaced) {
    Py_ssize_t i = a;
    while (i < b) {
        while (i < b && is_space(CH(L, i))) i++;
        if (i >= b) break;
        Py_ssize_t j = i;
        while (j < b && !is_space(CH(L, j))) j++;
        Py_ssize_t n = PyList_GET_SIZE(L->out);
        if (spaced && n) {
            PyObject *last = PyList_GET_ITEM(L->out, n - 1);
            if (same_str(PyTuple_GET_ITEM(last, 0), config[C_NA])) {
                PyObject *pair = PyUnicode_FromFormat("%U%c", PyTuple_GET_ITEM(last, 1), (int)CH(L, i));
                int found = pair == NULL ? -1 : PySet_Contains(config[C_MARK_PAIRS], pair);
                Py_XDECREF(pair);
                if (found < 0) return -1;
                if (found) { /* "（四）无 法提供": a stray space inside a label */
                    PyObject *text = PyTuple_Pack(4, config[C_TEXT], PyTuple_GET_ITEM(last, 1),
                                                  PyTuple_GET_ITEM(last, 2), PyTuple_GET_ITEM(last, 3));
                    if (text == NULL || PyList_SetItem(L->out, n - 1, text) < 0) return -1;
                }
            }
        }
        if (chunk_tokens(L, i, j, celled) < 0) return -1;
        i = j;
    }
    return 0;
}

/* tokens._may_be_noise: does the line start, after spaces, with a digit or a character page
 * chrome starts with? */
static int may_be_noise(Line *L) {
    Py_ssize_t i = 0;
    while (i < L->len && is_space(CH(L, i))) i++;
    if (i == L->len) return 0;
    Py_UCS4 ch = CH(L, i);
    PyObject *starts = config[C_NOISE_STARTS];
    return is_decimal(ch) || PyUnicode_FindChar(starts, ch, 0, PyUnicode_GET_LENGTH(starts), 1) >= 0;
}

static int truthy_call(PyObject *f, PyObject *arg) {
    PyObject *r = PyObject_CallOneArg(f, arg);
    if (r == NULL) return -1;
    int t = PyObject_IsTrue(r);
    Py_DECREF(r);
    return t;
}

static void read_line(Line *L, PyObject *line) {
    L->line = line;
    L->kind = PyUnicode_KIND(line);
    L->data = PyUnicode_DATA(line);
    L->len = PyUnicode_GET_LENGTH(line);
}

/* The cells of line[a:b] split at tabs and pipes, each stripped of spaces: a blank, a plain
 * number, or chunks. */
static int cells(Line *L, Py_ssize_t a, Py_ssize_t b) {
    for (Py_ssize_t start = a, p = a;; p++) {
        if (p < b && CH(L, p) != '\t' && CH(L, p) != '|') continue;
        Py_ssize_t x = start, y = p;
        while (x < y && is_space(CH(L, x))) x++;
        while (y > x && is_space(CH(L, y - 1))) y--;
        int rc = x == y                ? piece(L, config[C_BLANK], x, x, NULL, start, 1)
                 : all_decimal(L, x, y) ? piece(L, config[C_NUM], x, y, NULL, x, 1)
                                        : chunks(L, x, y, 1, 0);
        if (rc < 0) return -1;
        if (p == b) return 0;
        start = p + 1;
    }
}

/* A word that is also a mark ("无") right after an ordinal begins the row's label. */
static int ordinal_words(Line *L) {
    for (Py_ssize_t k = 1; k < PyList_GET_SIZE(L->out); k++) {
        PyObject *item = PyList_GET_ITEM(L->out, k), *prev = PyList_GET_ITEM(L->out, k - 1);
        if (!same_str(PyTuple_GET_ITEM(item, 0), config[C_NA]) || !same_str(PyTuple_GET_ITEM(prev, 0), config[C_TEXT]))
            continue;
        int word = PySet_Contains(config[C_WORD_MARKS], PyTuple_GET_ITEM(item, 1));
        if (word > 0) word = truthy_call(config[C_ORDINAL], PyTuple_GET_ITEM(prev, 1));
        if (word < 0) return -1;
        if (!word) continue;
        PyObject *text = PyTuple_Pack(4, config[C_TEXT], PyTuple_GET_ITEM(item, 1), PyTuple_GET_ITEM(item, 2),
                                      PyTuple_GET_ITEM(item, 3));
        if (text == NULL || PyList_SetItem(L->out, k, text) < 0) return -1;
    }
    return 0;
}

static PyObject *line_tokens(PyObject *self, PyObject *args) {
    PyObject *line;
    int bordered;
    if (!PyArg_ParseTuple(args, "Up:line_tokens", &line, &bordered)) return NULL;
    if (noise_max < 0) {
        PyErr_SetString(PyExc_RuntimeError, "line_tokens before configure()");
        return NULL;
    }
    Line L;
    read_line(&L, line);
    int blank = 1, space = L.len > 0, separated = 0, rule = 0, hinted = 0;
    for (Py_ssize_t i = 0; i < L.len; i++) {
        Py_UCS4 ch = CH(&L, i);
        if (ch != '\n' && ch != '\r' && ch != 0x0b && ch != 0x0c && ch != ' ') blank = 0;
        if (!is_space(ch)) space = 0;
        if (ch == '\t' || ch == '|') separated = 1;
        if (ch == '-' && i >= 2 && CH(&L, i - 1) == '-' && CH(&L, i - 2) == '-') rule = 1;
        if (ch < 0x10000 ? BIT(hint_bits, ch) : hint_astral) hinted = 1;
    }
    if (blank) return PyTuple_New(0); /* a line of tabs only is a row of empty cells */
    int skip = L.len < noise_max && !space && may_be_noise(&L) ? truthy_call(config[C_NOISE], line) : 0;
    if (skip == 0 && rule) skip = truthy_call(config[C_MD_RULE], line);
    if (skip < 0) return NULL;
    if (skip) return PyTuple_New(0);
    PyObject *masked = NULL, *result = NULL;
    /* a hint is searched for only in a line that holds its first character */
    for (Py_ssize_t h = 0; hinted && h < PyTuple_GET_SIZE(config[C_DIGIT_HINTS]) && masked == NULL; h++) {
        Py_ssize_t at = PyUnicode_Find(line, PyTuple_GET_ITEM(config[C_DIGIT_HINTS], h), 0, L.len, 1);
        if (at == -2) return NULL;
        if (at < 0) continue;
        masked = PyObject_CallOneArg(config[C_DIGIT_SUB], line);
        if (masked == NULL) return NULL;
        if (!PyUnicode_Check(masked) || PyUnicode_GET_LENGTH(masked) != L.len) {
            PyErr_SetString(PyExc_TypeError, "the digit-header mask must return a str of the line's length");
            Py_DECREF(masked);
            return NULL;
        }
        read_line(&L, masked);
    }
    L.out = PyList_New(0);
    if (L.out == NULL) goto done;
    int rc;
    if (separated) {
        Py_ssize_t a = 0, b = L.len;
        while (a < b && CH(&L, a) == ' ') a++;
        while (b > a && CH(&L, b - 1) == ' ') b--;
        if (bordered && a < b && CH(&L, a) == '|') a++;
        if (b > a && CH(&L, b - 1) == '|') b--;
        rc = cells(&L, a, b);
    } else {
        rc = chunks(&L, 0, L.len, 0, 1);
    }
    if (rc == 0 && ordinal_words(&L) == 0) result = PyList_AsTuple(L.out);
done:
    Py_XDECREF(masked);
    Py_XDECREF(L.out);
    return result;
}

/* bordered(lines, first, stop): tokens._bordered: no line of lines[first:stop] is a pipe row with a
 * first cell and no left border (_UNBORDERED: a line that starts with neither a pipe nor a space
 * and ends with a pipe, but for spaces). */
static PyObject *bordered(PyObject *self, PyObject *args) {
    PyObject *lines;
    Py_ssize_t first, stop;
    if (!PyArg_ParseTuple(args, "O!nn:bordered", &PyList_Type, &lines, &first, &stop)) return NULL;
    if (first < 0) first = 0;
    if (stop > PyList_GET_SIZE(lines)) stop = PyList_GET_SIZE(lines);
    for (Py_ssize_t i = first; i < stop; i++) {
        PyObject *line = PyList_GET_ITEM(lines, i);
        if (!PyUnicode_Check(line)) {
            PyErr_Format(PyExc_TypeError, "line %zd is not a str", i);
            return NULL;
        }
        Line L;
        read_line(&L, line);
        if (L.len < 2 || CH(&L, 0) == '|' || is_space(CH(&L, 0))) continue;
        Py_ssize_t j = L.len - 1;
        while (j > 0 && is_space(CH(&L, j))) j--;
        if (j > 0 && CH(&L, j) == '|') Py_RETURN_FALSE;
    }
    Py_RETURN_TRUE;
}

/* placer(tokens, groups, starts, ends, lo, hi, width, blank_kind, costs): a Placer,
 * sections.RunPlacer in C for its two searches, each step for step (RunPlacer says what they do
 * and why): best() and alternatives().  `starts` and `ends` hold each row's label's first and
 * last token (None: not found), from which each row's bounds are found as RunPlacer._bounds
 * finds them; `costs` the placer's constants, (before label, no label, lost cell, extra cell,
 * noise, blank noise, empty row, max runs).  The costs are sums of halves and small integers:
 * exact in doubles, so the sums and their ties are the Python's. */
typedef struct {
    Py_ssize_t first, final, size;
    int stacked;  /* more than one value, each on a line of its own */
    long line;    /* the line of its first value */
    double noise; /* the cost of giving it to no row */
} Run;

typedef struct {
    Run *runs;
    Py_ssize_t *cells_before;
    int *labelled;
    Py_ssize_t *start, *prev_end, *next_start, *prev_line; /* per row */
    Py_ssize_t lo, width;
    double before_label, no_label, lost_cell, extra_cell, noise, blank_noise, empty_row;
    Py_ssize_t max_runs;
} Placer;

static double place(Placer *P, Py_ssize_t g, Py_ssize_t r) {
    Run *run = &P->runs[g];
    if (!P->labelled[r]) return P->prev_end[r] < run->first && run->final < P->next_start[r] ? P->no_label : Py_HUGE_VAL;
    if (P->start[r] < run->first && run->final < P->next_start[r]) return 0.0;
    if (P->prev_end[r] < run->first && run->final < P->start[r] && !run->stacked &&
        (P->prev_end[r] < P->lo || P->prev_line[r] != run->line))
        return P->before_label;
    return Py_HUGE_VAL;
}

static double size_cost(Placer *P, Py_ssize_t j, Py_ssize_t e) {
    Py_ssize_t size = P->cells_before[e] - P->cells_before[j];
    return size <= P->width ? (P->width - size) * P->lost_cell : (size - P->width) * P->extra_cell;
}

static double row_cost(Placer *P, Py_ssize_t r, Py_ssize_t j, Py_ssize_t e) {
    double cost = 0.0;
    for (Py_ssize_t g = j; g < e; g++) cost += place(P, g, r);
    return cost + size_cost(P, j, e);
}

static Py_ssize_t bisect_right(Run *runs, Py_ssize_t n, Py_ssize_t x) { /* on the runs' firsts */
    Py_ssize_t lo = 0, hi = n;
    while (lo < hi) {
        Py_ssize_t mid = (lo + hi) / 2;
        if (x < runs[mid].first) hi = mid;
        else lo = mid + 1;
    }
    return lo;
}

static Py_ssize_t bisect_left(Run *runs, Py_ssize_t n, Py_ssize_t x) { /* on the runs' finals */
    Py_ssize_t lo = 0, hi = n;
    while (lo < hi) {
        Py_ssize_t mid = (lo + hi) / 2;
        if (runs[mid].final < x) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

static int token_line(PyObject *tokens, Py_ssize_t k, long *line) {
    if (k < 0 || k >= PyList_GET_SIZE(tokens)) {
        PyErr_SetString(PyExc_IndexError, "a run's token lies outside the tokens");
        return -1;
    }
    Token *t = token_at(tokens, k);
    if (t == NULL) return -1;
    *line = PyLong_AsLong(t->line);
    return *line == -1 && PyErr_Occurred() ? -1 : 0;
}

static int by_index(const void *a, const void *b) {
    Py_ssize_t x = *(const Py_ssize_t *)a, y = *(const Py_ssize_t *)b;
    return (x > y) - (x < y);
}

/* RunPlacer._bounds: each row's prev_end (the last token of the label before its own, lo - 1
 * for none) and next_start (the first token of the nearest label that starts after that, hi
 * for none), from the labels' `starts` and `ends` (None: not found). */
static int placer_bounds(Placer *P, PyObject *starts, PyObject *ends, Py_ssize_t R, Py_ssize_t hi) {
    if (PyList_GET_SIZE(ends) != R) {
        PyErr_SetString(PyExc_ValueError, "starts and ends must hold one item per row");
        return -1;
    }
    Py_ssize_t *sorted = PyMem_Malloc((size_t)(R + 1) * sizeof(Py_ssize_t)), n = 0;
    if (sorted == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t r = 0; r < R; r++) {
        PyObject *s = PyList_GET_ITEM(starts, r), *e = PyList_GET_ITEM(ends, r);
        P->labelled[r] = s != Py_None;
        if ((s == Py_None) != (e == Py_None)) {
            PyErr_SetString(PyExc_ValueError, "a row's label has a first and a last token, or neither");
            goto fail;
        }
        if (!P->labelled[r]) continue;
        P->start[r] = PyLong_AsSsize_t(s);
        P->next_start[r] = PyLong_AsSsize_t(e); /* its end, until the loop below */
        if ((P->start[r] == -1 || P->next_start[r] == -1) && PyErr_Occurred()) goto fail;
        sorted[n++] = P->start[r];
    }
    qsort(sorted, (size_t)n, sizeof(Py_ssize_t), by_index);
    Py_ssize_t last = P->lo - 1;
    for (Py_ssize_t r = 0; r < R; r++) {
        P->prev_end[r] = last;
        if (P->labelled[r]) last = P->next_start[r];
        Py_ssize_t k = 0;
        while (k < n && sorted[k] <= last) k++; /* bisect_right */
        P->next_start[r] = k < n ? sorted[k] : hi;
    }
    PyMem_Free(sorted);
    return 0;
fail:
    PyMem_Free(sorted);
    return -1;
}

static void placer_free(Placer *P) {
    PyMem_Free(P->runs);
    PyMem_Free(P->cells_before);
    PyMem_Free(P->labelled);
    PyMem_Free(P->start);
    P->runs = NULL, P->cells_before = NULL, P->labelled = NULL, P->start = NULL;
}

/* The placer of placer()'s arguments (their tuple `args`) in P, its runs' and rows' counts in
 * G and R: 0, or -1 with an error set (P freed). */
static int placer_init(Placer *P, PyObject *args, Py_ssize_t *G_out, Py_ssize_t *R_out) {
    PyObject *tokens, *groups, *starts, *ends, *blank_kind, *costs;
    Py_ssize_t hi;
    memset(P, 0, sizeof(*P));
    if (!PyArg_ParseTuple(args, "O!O!O!O!nnnUO!:placer", &PyList_Type, &tokens, &PyList_Type, &groups, &PyList_Type,
                          &starts, &PyList_Type, &ends, &P->lo, &hi, &P->width, &blank_kind, &PyTuple_Type, &costs))
        return -1;
    if (!PyArg_ParseTuple(costs, "dddddddn:costs", &P->before_label, &P->no_label, &P->lost_cell, &P->extra_cell,
                          &P->noise, &P->blank_noise, &P->empty_row, &P->max_runs))
        return -1;
    Py_ssize_t R = PyList_GET_SIZE(starts), G = PyList_GET_SIZE(groups);
    *G_out = G, *R_out = R;
    P->runs = PyMem_Calloc(G + 1, sizeof(Run));
    P->cells_before = PyMem_Calloc(G + 1, sizeof(Py_ssize_t));
    P->labelled = PyMem_Calloc(R + 1, sizeof(int));
    P->start = PyMem_Calloc(4 * (R + 1), sizeof(Py_ssize_t));
    if (P->runs == NULL || P->cells_before == NULL || P->labelled == NULL || P->start == NULL) {
        PyErr_NoMemory();
        goto fail;
    }
    P->prev_end = P->start + (R + 1);
    P->next_start = P->start + 2 * (R + 1);
    P->prev_line = P->start + 3 * (R + 1);
    for (Py_ssize_t g = 0; g < G; g++) {
        PyObject *group = PyList_GET_ITEM(groups, g);
        Run *run = &P->runs[g];
        if (!PyList_Check(group) || PyList_GET_SIZE(group) == 0) {
            PyErr_SetString(PyExc_ValueError, "a run must be a non-empty list of token indices");
            goto fail;
        }
        run->size = PyList_GET_SIZE(group);
        run->stacked = run->size > 1;
        int blank = 1;
        long *lines = PyMem_Malloc(run->size * sizeof(long)); /* of the run's values */
        if (lines == NULL) {
            PyErr_NoMemory();
            goto fail;
        }
        for (Py_ssize_t i = 0; i < run->size; i++) {
            Py_ssize_t k = PyLong_AsSsize_t(PyList_GET_ITEM(group, i));
            if ((k == -1 && PyErr_Occurred()) || token_line(tokens, k, &lines[i]) < 0) {
                PyMem_Free(lines);
                goto fail;
            }
            if (i == 0) run->first = k, run->line = lines[i];
            run->final = k;
            blank = blank && is_kind((Token *)PyList_GET_ITEM(tokens, k), blank_kind);
            for (Py_ssize_t m = 0; m < i && run->stacked; m++) /* each value on a line of its own? */
                if (lines[m] == lines[i]) run->stacked = 0;
        }
        PyMem_Free(lines);
        run->noise = blank ? P->blank_noise : P->noise;
        P->cells_before[g + 1] = P->cells_before[g] + run->size;
    }
    if (placer_bounds(P, starts, ends, R, hi) < 0) goto fail;
    for (Py_ssize_t r = 0; r < R; r++) {
        long line = 0;
        if (P->prev_end[r] >= P->lo && token_line(tokens, P->prev_end[r], &line) < 0) goto fail;
        P->prev_line[r] = line;
    }
    return 0;
fail:
    placer_free(P);
    return -1;
}

typedef struct {
    PyObject_HEAD Placer P;
    Py_ssize_t G, R; /* runs, rows */
} PlacerObject;

static void placer_dealloc(PlacerObject *o) {
    placer_free(&o->P);
    Py_TYPE(o)->tp_free((PyObject *)o);
}

/* best(): RunPlacer._best, the cheapest placement, as [(first run, end run)] per row, and
 * whether every row was printed whole after its label. */
static PyObject *placer_best(PlacerObject *o, PyObject *Py_UNUSED(ignored)) {
    Placer *P = &o->P;
    Py_ssize_t G = o->G, R = o->R;
    PyObject *result = NULL;
    double *cost = NULL;
    Py_ssize_t *back = NULL;
    int whole = G == R;
    for (Py_ssize_t i = 0; i < R && whole; i++) whole = P->runs[i].size == P->width && place(P, i, i) == 0.0;
    PyObject *spans = PyList_New(0);
    if (spans == NULL) goto done;
    if (whole) { /* every row printed whole after its label */
        for (Py_ssize_t i = 0; i < R; i++) {
            PyObject *span = Py_BuildValue("(nn)", i, i + 1);
            if (span == NULL || PyList_Append(spans, span) < 0) {
                Py_XDECREF(span);
                Py_DECREF(spans);
                goto done;
            }
            Py_DECREF(span);
        }
        result = Py_BuildValue("(NO)", spans, Py_True);
        goto done;
    }
    Py_ssize_t W = G + 1, cells = (R + 1) * W;
    cost = PyMem_Malloc(cells * sizeof(double));
    back = PyMem_Malloc(2 * cells * sizeof(Py_ssize_t)); /* (row, run) each cell was reached from */
    if (cost == NULL || back == NULL) {
        Py_DECREF(spans);
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t c = 0; c < cells; c++) cost[c] = Py_HUGE_VAL, back[2 * c] = back[2 * c + 1] = -1;
    cost[0] = 0.0;
#define LINK(r2, j2, total)                                          \
    do {                                                             \
        cost[(r2) * W + (j2)] = (total);                             \
        back[2 * ((r2) * W + (j2))] = r, back[2 * ((r2) * W + (j2)) + 1] = j; \
    } while (0)
    for (Py_ssize_t r = 0; r <= R; r++) {
        Py_ssize_t w0 = 0, w1 = 0; /* the runs a row can take lie between its neighbours' labels */
        if (r < R) w0 = bisect_right(P->runs, G, P->prev_end[r]), w1 = bisect_left(P->runs, G, P->next_start[r]);
        for (Py_ssize_t j = 0; j <= G; j++) {
            double c = cost[r * W + j];
            if (c == Py_HUGE_VAL) continue;
            if (j < G && c + P->runs[j].noise < cost[r * W + j + 1]) LINK(r, j + 1, c + P->runs[j].noise);
            if (r == R) continue;
            if (!(w0 <= j && j < w1)) { /* the row takes no run here */
                if (c + P->empty_row < cost[(r + 1) * W + j]) LINK(r + 1, j, c + P->empty_row);
                continue;
            }
            Py_ssize_t last = w1 < j + P->max_runs ? w1 : j + P->max_runs;
            for (Py_ssize_t e = j; e <= last; e++) {
                double step = row_cost(P, r, j, e);
                if (step == Py_HUGE_VAL) break;
                if (c + step < cost[(r + 1) * W + e]) LINK(r + 1, e, c + step);
            }
        }
    }
#undef LINK
    Py_ssize_t r = R, j = G;
    while (r != 0 || j != 0) {
        Py_ssize_t pr = back[2 * (r * W + j)], pj = back[2 * (r * W + j) + 1];
        if (pr < 0) {
            Py_DECREF(spans);
            PyErr_SetString(PyExc_AssertionError, "a cell on the cheapest path was not reached");
            goto done;
        }
        if (pr < r) {
            PyObject *span = Py_BuildValue("(nn)", pj, j);
            if (span == NULL || PyList_Append(spans, span) < 0) {
                Py_XDECREF(span);
                Py_DECREF(spans);
                goto done;
            }
            Py_DECREF(span);
        }
        r = pr, j = pj;
    }
    if (PyList_Reverse(spans) < 0) {
        Py_DECREF(spans);
        goto done;
    }
    result = Py_BuildValue("(NO)", spans, Py_False);
done:
    PyMem_Free(cost);
    PyMem_Free(back);
    return result;
}

/* alternatives(spans, close): RunPlacer.alternatives for spans that are not the whole placement,
 * step for step: the placements that move one run across the boundary of two neighbouring rows
 * and cost at most `close` more, as tuples of (first run, end run). */
static PyObject *placer_alternatives(PlacerObject *o, PyObject *args) {
    PyObject *spans;
    double close;
    if (!PyArg_ParseTuple(args, "O!d:alternatives", &PyList_Type, &spans, &close)) return NULL;
    Py_ssize_t n = PyList_GET_SIZE(spans);
    Py_ssize_t *j = PyMem_Calloc(2 * (n + 1), sizeof(Py_ssize_t)), *e = j ? j + n + 1 : NULL;
    if (j == NULL) return PyErr_NoMemory();
    PyObject *out = NULL;
    for (Py_ssize_t r = 0; r < n; r++) {
        PyObject *span = PyList_GET_ITEM(spans, r);
        if (!PyTuple_Check(span) || PyTuple_GET_SIZE(span) != 2) {
            PyErr_SetString(PyExc_TypeError, "a span must be a (first run, end run) tuple");
            goto done;
        }
        j[r] = PyLong_AsSsize_t(PyTuple_GET_ITEM(span, 0));
        e[r] = PyLong_AsSsize_t(PyTuple_GET_ITEM(span, 1));
        if ((j[r] == -1 || e[r] == -1) && PyErr_Occurred()) goto done;
        if (j[r] < 0 || e[r] < j[r] || e[r] > o->G || n > o->R) {
            PyErr_SetString(PyExc_IndexError, "a span's runs lie outside the runs, or a row outside the rows");
            goto done;
        }
    }
    out = PyList_New(0);
    for (Py_ssize_t r = 0; out != NULL && r + 1 < n; r++) {
        Py_ssize_t j1 = j[r], e1 = e[r], j2 = j[r + 1], e2 = e[r + 1];
        if (e1 != j2) continue;
        double old = row_cost(&o->P, r, j1, e1) + row_cost(&o->P, r + 1, j2, e2);
        for (int way = 0; way < 2; way++) {
            Py_ssize_t step = way ? 1 : -1, nj1 = j1, ne1 = e1 + step, nj2 = j2 + step, ne2 = e2;
            if (!(nj1 <= ne1 && nj2 <= ne2)) continue;
            if (size_cost(&o->P, nj1, ne1) + size_cost(&o->P, nj2, ne2) - old > close) continue;
            double now = row_cost(&o->P, r, nj1, ne1) + row_cost(&o->P, r + 1, nj2, ne2);
            if (!(now - old <= close)) continue;
            PyObject *alt = PyTuple_New(n);
            if (alt == NULL) goto fail;
            for (Py_ssize_t q = 0; q < n; q++) {
                PyObject *span = q == r       ? Py_BuildValue("(nn)", nj1, ne1)
                                 : q == r + 1 ? Py_BuildValue("(nn)", nj2, ne2)
                                              : Py_NewRef(PyList_GET_ITEM(spans, q));
                if (span == NULL) {
                    Py_DECREF(alt);
                    goto fail;
                }
                PyTuple_SET_ITEM(alt, q, span);
            }
            int bad = PyList_Append(out, alt);
            Py_DECREF(alt);
            if (bad < 0) goto fail;
        }
    }
    goto done;
fail:
    Py_CLEAR(out);
done:
    PyMem_Free(j);
    return out;
}

static PyMethodDef placer_methods[] = {
    {"best", (PyCFunction)placer_best, METH_NOARGS, "RunPlacer._best in C: the cheapest placement, and whether whole."},
    {"alternatives", (PyCFunction)placer_alternatives, METH_VARARGS,
     "RunPlacer.alternatives in C: (spans, close) -> the placements one run away, as tuples."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject PlacerType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "pipeline.parse._tokens.Placer",
    .tp_basicsize = sizeof(PlacerObject),
    .tp_dealloc = (destructor)placer_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "sections.RunPlacer's searches in C: best() and alternatives().",
    .tp_methods = placer_methods,
};

static PyObject *placer(PyObject *self, PyObject *args) {
    PlacerObject *o = PyObject_New(PlacerObject, &PlacerType);
    if (o == NULL) return NULL;
    memset(&o->P, 0, sizeof(o->P));
    if (placer_init(&o->P, args, &o->G, &o->R) < 0) {
        Py_DECREF(o);
        return NULL;
    }
    return (PyObject *)o;
}

/* glued_numbers(tokens, lo, hi, text_kind, num_kind): sections._glued_numbers, the same list: for
 * every number that follows text on its line, does it touch the text (tokens.touches)?  Columns
 * that are not ints are left to the Python: NotImplemented. */
/* tokens.touches(a, b) for b on a's line: 1 or 0; -1 on an error; 2 where a column is not an
 * int or a's text not a str (the caller leaves it to the Python). */
static int touching(Token *a, Token *b) {
    if (!PyLong_CheckExact(a->col) || !PyLong_CheckExact(b->col) || !PyUnicode_Check(a->text)) return 2;
    Py_ssize_t from = PyLong_AsSsize_t(a->col), at = PyLong_AsSsize_t(b->col);
    if ((from == -1 || at == -1) && PyErr_Occurred()) return -1;
    return at == from + PyUnicode_GET_LENGTH(a->text);
}

/* Append to `out` whether b, a number on a's line, touches a (tokens.touches): 0 (nothing appended
 * where b is no number on a's line), -1 on an error, 2 where a column is not an int (the caller
 * leaves the tokens to the Python). */
static int vote(PyObject *out, Token *a, Token *b, PyObject *num_kind) {
    if (!is_kind(b, num_kind)) return 0;
    int same = lines_compare(a->line, b->line, Py_EQ);
    if (same <= 0) return same;
    int touches = touching(a, b);
    if (touches < 0 || touches == 2) return touches;
    return PyList_Append(out, touches ? Py_True : Py_False);
}

static PyObject *glued_numbers(PyObject *self, PyObject *args) {
    PyObject *tokens, *text_kind, *num_kind;
    Py_ssize_t lo, hi;
    if (!PyArg_ParseTuple(args, "O!nnUU:glued_numbers", &PyList_Type, &tokens, &lo, &hi, &text_kind, &num_kind))
        return NULL;
    if (bounds(tokens, &lo, &hi) < 0) return NULL;
    PyObject *out = PyList_New(0);
    for (Py_ssize_t i = lo + 1; out != NULL && i < hi; i++) {
        Token *a = (Token *)PyList_GET_ITEM(tokens, i - 1), *b = (Token *)PyList_GET_ITEM(tokens, i);
        int voted = is_kind(a, text_kind) ? vote(out, a, b, num_kind) : 0;
        if (voted < 0) goto fail;
        if (voted == 2) {
            Py_DECREF(out);
            Py_RETURN_NOTIMPLEMENTED;
        }
    }
    return out;
fail:
    Py_XDECREF(out);
    return NULL;
}

/* glued_after(tokens, ends, num_kind): sections._glued_after of the labels ending at each token
 * of `ends`, the votes that are not None, in order: does the number after the label touch it?
 * NotImplemented where a column is not an int. */
static PyObject *glued_after(PyObject *self, PyObject *args) {
    PyObject *tokens, *ends, *num_kind;
    if (!PyArg_ParseTuple(args, "O!O!U:glued_after", &PyList_Type, &tokens, &PyList_Type, &ends, &num_kind))
        return NULL;
    PyObject *out = PyList_New(0);
    Py_ssize_t n = PyList_GET_SIZE(tokens);
    for (Py_ssize_t j = 0; out != NULL && j < PyList_GET_SIZE(ends); j++) {
        Py_ssize_t e = PyLong_AsSsize_t(PyList_GET_ITEM(ends, j));
        if (e == -1 && PyErr_Occurred()) goto fail;
        if (e < 0 || e >= n) {
            PyErr_SetString(PyExc_IndexError, "a label's end past the tokens");
            goto fail;
        }
        Token *a = token_at(tokens, e), *b = e + 1 < n ? token_at(tokens, e + 1) : NULL;
        if (a == NULL || (e + 1 < n && b == NULL)) goto fail;
        int voted = b != NULL ? vote(out, a, b, num_kind) : 0;
        if (voted < 0) goto fail;
        if (voted == 2) {
            Py_DECREF(out);
            Py_RETURN_NOTIMPLEMENTED;
        }
    }
    return out;
fail:
    Py_XDECREF(out);
    return NULL;
}

/* line_counts(tokens, lo, hi, num_kind): parse._line_counts, for the layout.  The per-line counts
 * of tokens in line order are runs; out of that order a dict counts them. */
static PyObject *line_counts(PyObject *self, PyObject *args) {
    PyObject *tokens, *num_kind;
    Py_ssize_t lo, hi;
    if (!PyArg_ParseTuple(args, "O!nnU:line_counts", &PyList_Type, &tokens, &lo, &hi, &num_kind)) return NULL;
    if (bounds(tokens, &lo, &hi) < 0) return NULL;
    PyObject *celled = PySet_New(NULL), *per_line = PyDict_New(), *result = NULL;
    if (celled == NULL || per_line == NULL) goto done;
    Py_ssize_t lines = 0, nums = 0, alone = 0;
    int ordered = 1;
    for (Py_ssize_t i = lo; i < hi && ordered; i++) {
        if (i > lo) {
            int le = lines_compare(((Token *)PyList_GET_ITEM(tokens, i - 1))->line,
                                   ((Token *)PyList_GET_ITEM(tokens, i))->line, Py_LE);
            if (le < 0) goto done;
            ordered = le;
        }
    }
    for (Py_ssize_t i = lo; i < hi;) {
        Token *t = (Token *)PyList_GET_ITEM(tokens, i);
        Py_ssize_t j = i + 1, count;
        if (ordered) { /* the run of tokens on t's line */
            while (j < hi) {
                int same = lines_compare(((Token *)PyList_GET_ITEM(tokens, j))->line, t->line, Py_EQ);
                if (same < 0) goto done;
                if (!same) break;
                j++;
            }
            count = j - i;
            lines++;
        } else {
            j = i + 1;
            count = 0;
        }
        int run_celled = 0; /* a token of the run is celled: its line is added once */
        for (Py_ssize_t k = i; k < j; k++) {
            Token *u = (Token *)PyList_GET_ITEM(tokens, k);
            int is_celled = u->celled == Py_True ? 1 : u->celled == Py_False ? 0 : PyObject_IsTrue(u->celled);
            if (is_celled < 0) goto done;
            if (is_celled && !ordered && PySet_Add(celled, u->line) < 0) goto done;
            run_celled |= is_celled;
            if (!ordered) { /* counted on a second pass */
                PyObject *n = PyDict_GetItemWithError(per_line, u->line);
                if (n == NULL && PyErr_Occurred()) goto done;
                PyObject *m = PyLong_FromSsize_t(n ? PyLong_AsSsize_t(n) + 1 : 1);
                if (m == NULL || PyDict_SetItem(per_line, u->line, m) < 0) {
                    Py_XDECREF(m);
                    goto done;
                }
                Py_DECREF(m);
            } else if (is_kind(u, num_kind)) {
                nums++;
                alone += count == 1;
            }
        }
        if (ordered && run_celled && PySet_Add(celled, t->line) < 0) goto done;
        i = j;
    }
    if (!ordered) {
        lines = PyDict_GET_SIZE(per_line);
        for (Py_ssize_t i = lo; i < hi; i++) {
            Token *u = (Token *)PyList_GET_ITEM(tokens, i);
            if (!is_kind(u, num_kind)) continue;
            nums++;
            PyObject *n = PyDict_GetItemWithError(per_line, u->line);
            if (n == NULL) goto done;
            alone += PyLong_AsSsize_t(n) == 1;
        }
    }
    result = Py_BuildValue("(Onnn)", celled, lines, nums, alone);
done:
    Py_XDECREF(celled);
    Py_XDECREF(per_line);
    return result;
}

/* proactive_values(tokens, anchors, hi, text_kind, num_kind): sections._proactive_values, step for
 * step (that function says what it does).  An anchor is an anchors.Anchor, a tuple (row,
 * start_tok, end_tok, key_rank, tail), or None. */
static int anchor_fields(PyObject *a, Py_ssize_t n, Py_ssize_t *start, Py_ssize_t *end, int *tail) {
    if (!PyTuple_Check(a) || PyTuple_GET_SIZE(a) < 5) {
        PyErr_SetString(PyExc_TypeError, "an anchor must be an Anchor (row, start_tok, end_tok, key_rank, tail)");
        return -1;
    }
    *start = PyLong_AsSsize_t(PyTuple_GET_ITEM(a, 1));
    if (*start == -1 && PyErr_Occurred()) return -1;
    *end = PyLong_AsSsize_t(PyTuple_GET_ITEM(a, 2));
    if (*end == -1 && PyErr_Occurred()) return -1;
    if (*start < 0 || *end < *start || *end >= n) {
        PyErr_SetString(PyExc_IndexError, "an anchor's tokens past the tokens");
        return -1;
    }
    *tail = PyObject_IsTrue(PyTuple_GET_ITEM(a, 4));
    return *tail < 0 ? -1 : 0;
}

static PyObject *proactive_values(PyObject *self, PyObject *args) {
    PyObject *tokens, *anchors, *text_kind, *num_kind, *out = NULL, *result = NULL;
    Py_ssize_t hi;
    if (!PyArg_ParseTuple(args, "O!O!nUU:proactive_values", &PyList_Type, &tokens, &PyList_Type, &anchors, &hi,
                          &text_kind, &num_kind))
        return NULL;
    Py_ssize_t n = PyList_GET_SIZE(tokens), lo = 0;
    if (bounds(tokens, &lo, &hi) < 0) return NULL;
    char *taken = PyMem_Calloc(hi > 0 ? hi : 1, 1);
    if (taken == NULL) return PyErr_NoMemory();
    Py_ssize_t first = hi;
    out = PyList_New(PyList_GET_SIZE(anchors));
    if (out == NULL) goto done;
    for (Py_ssize_t r = 0; r < PyList_GET_SIZE(anchors); r++) {
        PyObject *a = PyList_GET_ITEM(anchors, r);
        if (a == Py_None) {
            PyList_SET_ITEM(out, r, Py_NewRef(Py_None));
            continue;
        }
        Py_ssize_t start, end, k;
        int tail;
        if (anchor_fields(a, n, &start, &end, &tail) < 0) goto done;
        if (start < first) first = start;
        PyObject *toks = PyList_New(0);
        if (toks == NULL) goto done;
        PyList_SET_ITEM(out, r, toks);
        for (k = end + 1; !tail && k < hi && !is_kind((Token *)PyList_GET_ITEM(tokens, k), text_kind); k++) {
            if (PyList_Append(toks, PyList_GET_ITEM(tokens, k)) < 0) goto done;
            taken[k] = 1;
        }
        if (PyList_GET_SIZE(toks) == 0) { /* the values the label was printed around */
            for (k = start + 1; k < end; k++) {
                Token *t = token_at(tokens, k);
                if (t == NULL) goto done;
                if (is_kind(t, text_kind)) continue;
                if (PyList_Append(toks, (PyObject *)t) < 0) goto done;
                if (k < hi) taken[k] = 1;
            }
        }
    }
    Py_ssize_t left = 0;
    for (Py_ssize_t k = first; k < hi; k++)
        if (!taken[k] && is_kind((Token *)PyList_GET_ITEM(tokens, k), num_kind)) left++;
    result = Py_BuildValue("(On)", out, left);
done:
    PyMem_Free(taken);
    Py_XDECREF(out);
    return result;
}

/* appeal_tokens(tokens, vals, width, text_kind, num_kind): sections._appeal_tokens, step for step
 * (that function says what it does), the cells the tokens taken hold counted as they are taken. */
static PyObject *appeal_tokens(PyObject *self, PyObject *args) {
    PyObject *tokens, *vals, *text_kind, *num_kind;
    Py_ssize_t width;
    if (!PyArg_ParseTuple(args, "O!O!nUU:appeal_tokens", &PyList_Type, &tokens, &PyList_Type, &vals, &width,
                          &text_kind, &num_kind))
        return NULL;
    Py_ssize_t n = PyList_GET_SIZE(tokens), last = -1, held = 0;
    PyObject *out = PyList_New(0);
    for (Py_ssize_t j = 0; out != NULL && j < PyList_GET_SIZE(vals); j++) {
        Py_ssize_t k = PyLong_AsSsize_t(PyList_GET_ITEM(vals, j));
        if (k == -1 && PyErr_Occurred()) goto fail;
        if (k < 0 || k >= n) {
            PyErr_SetString(PyExc_IndexError, "a value token past the tokens");
            goto fail;
        }
        Token *t = token_at(tokens, k);
        if (t == NULL) goto fail;
        if (PyList_GET_SIZE(out) > 0 && held >= width) {
            int text = 0;
            for (Py_ssize_t m = last + 1; m < k && !text; m++) {
                Token *between = token_at(tokens, m);
                if (between == NULL) goto fail;
                text = is_kind(between, text_kind);
            }
            if (text) break;
        }
        if (PyList_Append(out, (PyObject *)t) < 0) goto fail;
        last = k;
        if (!is_kind(t, num_kind)) {
            held++;
            continue;
        }
        if (!PyUnicode_Check(t->text)) {
            PyErr_SetString(PyExc_TypeError, "a number's text must be a str");
            goto fail;
        }
        int kind = PyUnicode_KIND(t->text);
        const void *data = PyUnicode_DATA(t->text);
        for (Py_ssize_t i = 0; i < PyUnicode_GET_LENGTH(t->text); i++) held += is_digit(PyUnicode_READ(kind, data, i));
    }
    return out;
fail:
    Py_XDECREF(out);
    return NULL;
}

static PyMethodDef methods[] = {
    {"tokenize", tokenize, METH_VARARGS,
     "tokens.labelled's loop in C: (lines, start, end, bordered, line_tokens, cache, cache_max, text_kind, "
     "canon) -> (tokens, label text, owner)."},
    {"value_tokens", value_tokens, METH_VARARGS,
     "sections.value_tokens in C: (tokens, lo, hi, width, text_kind, blank_kind)."},
    {"groups_of", groups_of, METH_VARARGS, "sections.groups_of in C: (tokens, vals, text_kind)."},
    {"placer", placer, METH_VARARGS,
     "sections.RunPlacer in C: (tokens, groups, starts, ends, lo, hi, width, blank_kind, costs)."},
    {"glued_numbers", glued_numbers, METH_VARARGS,
     "sections._glued_numbers in C: (tokens, lo, hi, text_kind, num_kind); NotImplemented for columns not ints."},
    {"glued_after", glued_after, METH_VARARGS,
     "sections._glued_after of each label's end in C: (tokens, ends, num_kind); NotImplemented for columns not ints."},
    {"line_counts", line_counts, METH_VARARGS, "parse._line_counts in C: (tokens, lo, hi, num_kind)."},
    {"configure", configure, METH_VARARGS, "line_tokens' data and patterns, from tokens.py (see there)."},
    {"line_tokens", line_tokens, METH_VARARGS, "tokens._line_tokens in C: (line, bordered)."},
    {"bordered", bordered, METH_VARARGS, "tokens._bordered in C: (lines, first, stop)."},
    {"plain_readings", plain_readings, METH_VARARGS,
     "readings._plain_readings in C: (tokens, integer, num_kind, max_count, reading)."},
    {"row_pools", row_pools, METH_VARARGS,
     "sections._row_pools in C: (tokens, ends, codes, per_row, glued, seen, known_of, reading, num_kind, max_count, "
     "width)."},
    {"totalled_readings", totalled_readings, METH_VARARGS,
     "readings.totalled_readings in C for rows of unsigned, ungrouped numbers: (tokens, search, line, totalled, "
     "reading, num_kind); NotImplemented for other rows."},
    {"cut_readings", cut_readings, METH_VARARGS,
     "readings._cut_readings in C for rows of plain ASCII digits: (tokens, n, integer, glued, line, weight, "
     "reading, num_kind, max_count, limits); NotImplemented for other rows."},
    {"proactive_values", proactive_values, METH_VARARGS,
     "sections._proactive_values in C: (tokens, anchors, hi, text_kind, num_kind)."},
    {"appeal_tokens", appeal_tokens, METH_VARARGS,
     "sections._appeal_tokens in C: (tokens, vals, width, text_kind, num_kind)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_tokens", "The Token of pipeline.parse.tokens, in C.", -1,
                                    methods};

PyMODINIT_FUNC PyInit__tokens(void) {
    character_bits();
    if (PyType_Ready(&TokenType) < 0 || PyType_Ready(&PlacerType) < 0) return NULL;
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
