from pipeline.work import _Steps

Steps = _Steps  # work._Steps in C: the same fields and methods, so the type checker is told the Python
