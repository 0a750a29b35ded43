# Shadows the standard library's sqlite3 the way incident 1's rebuilt image broke it: the
# Python module is there, the native library under it does not match. Jupyter Server then falls
# back to pysqlite2 and dies at start; a kernel that imports sqlite3 gets this ImportError.
raise ImportError(
    "libsqlite3.so.0: version `SQLITE_3_44' not found (required by _sqlite3.so); "
    "no module named 'pysqlite2' either (simulated broken user image)"
)
