// Inserts a NULL check after each allocation whose result is dereferenced before any check (see null_check.cocci
// for what counts as checked). The failure action returns from the enclosing function:
//   void functions: return;     functions returning a pointer: return NULL;     any other: return -1;
// A void function is matched first, then pointer-returning ones, so each allocation gets one check; an inserted
// check counts as a check, so running it again inserts nothing.
// Confidence: moderate: review the inserted checks, and free what the function allocated before the failure.

@void_assigned exists@
identifier fn, fld;
local idexpression x;
identifier alloc = {static_malloc, static_calloc, static_realloc};
@@
void fn(...) {
... when any
x = alloc(...);
+ if (!x)
+ 	return;
... when != x
(
x->fld
|
x[...]
)
... when any
}

@void_declared exists@
identifier fn, x, fld;
identifier alloc = {static_malloc, static_calloc, static_realloc};
type T2;
expression E;
statement S1, S2;
@@
void fn(...) {
... when any
T2 x = alloc(...);
+ if (!x)
+ 	return;
... when != x = E
    when != if (<+... x ...+>) S1 else S2
    when != if (<+... x ...+>) S1
    when != while (<+... x ...+>) S1
(
x->fld
|
x[...]
)
... when any
}

@pointer_assigned exists@
identifier fn, fld;
local idexpression x;
identifier alloc = {static_malloc, static_calloc, static_realloc};
type T;
@@
T *fn(...) {
... when any
x = alloc(...);
+ if (!x)
+ 	return NULL;
... when != x
(
x->fld
|
x[...]
)
... when any
}

@pointer_declared exists@
identifier fn, x, fld;
identifier alloc = {static_malloc, static_calloc, static_realloc};
type T, T2;
expression E;
statement S1, S2;
@@
T *fn(...) {
... when any
T2 x = alloc(...);
+ if (!x)
+ 	return NULL;
... when != x = E
    when != if (<+... x ...+>) S1 else S2
    when != if (<+... x ...+>) S1
    when != while (<+... x ...+>) S1
(
x->fld
|
x[...]
)
... when any
}

@other_assigned exists@
identifier fn, fld;
local idexpression x;
identifier alloc = {static_malloc, static_calloc, static_realloc};
type T;
@@
T fn(...) {
... when any
x = alloc(...);
+ if (!x)
+ 	return -1;
... when != x
(
x->fld
|
x[...]
)
... when any
}

@other_declared exists@
identifier fn, x, fld;
identifier alloc = {static_malloc, static_calloc, static_realloc};
type T, T2;
expression E;
statement S1, S2;
@@
T fn(...) {
... when any
T2 x = alloc(...);
+ if (!x)
+ 	return -1;
... when != x = E
    when != if (<+... x ...+>) S1 else S2
    when != if (<+... x ...+>) S1
    when != while (<+... x ...+>) S1
(
x->fld
|
x[...]
)
... when any
}
