/* fastsum: the python-api service's own C extension. It exists so that every variant has to
 * compile something at build time (a compiler and Python's headers in the build), which is what
 * makes the single-stage vs multi-stage comparison honest. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

/* sum_squares(n) -> 0**2 + 1**2 + ... + (n-1)**2 */
static PyObject *sum_squares(PyObject *self, PyObject *args) {
    long long n;
    unsigned long long total = 0;
    if (!PyArg_ParseTuple(args, "L", &n))
        return NULL;
    if (n < 0) {
        PyErr_SetString(PyExc_ValueError, "n must be >= 0");
        return NULL;
    }
    for (long long i = 0; i < n; i++)
        total += (unsigned long long)i * (unsigned long long)i;
    return PyLong_FromUnsignedLongLong(total);
}

/* total(iterable of numbers) -> float sum */
static PyObject *total(PyObject *self, PyObject *arg) {
    PyObject *it = PyObject_GetIter(arg);
    PyObject *item;
    double acc = 0.0;
    if (it == NULL)
        return NULL;
    while ((item = PyIter_Next(it)) != NULL) {
        double v = PyFloat_AsDouble(item);
        Py_DECREF(item);
        if (v == -1.0 && PyErr_Occurred()) {
            Py_DECREF(it);
            return NULL;
        }
        acc += v;
    }
    Py_DECREF(it);
    if (PyErr_Occurred())
        return NULL;
    return PyFloat_FromDouble(acc);
}

static PyMethodDef methods[] = {
    {"sum_squares", sum_squares, METH_VARARGS, "Sum of i*i for i in range(n)."},
    {"total", total, METH_O, "Float sum of an iterable of numbers."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "fastsum", "Small sums in C.", -1, methods,
};

PyMODINIT_FUNC PyInit_fastsum(void) { return PyModule_Create(&module); }
