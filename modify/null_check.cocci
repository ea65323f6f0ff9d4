// Reports an allocation whose result is dereferenced before any NULL check: the BPF verifier rejects such code
// ("invalid mem access 'scalar'"). Prints FILE:LINE, one line per allocation. "Checked" means that an if or a
// test on the pointer comes before the dereference on every path.
// Confidence: moderate. Only member and index dereferences are reported (a bare *x is not: Coccinelle's
// isomorphisms made it match checked code too), and not a first use that passes the pointer to a function.

virtual report

// x = malloc(...);  ... x->f
@assigned exists@
local idexpression x;
identifier alloc = {malloc, calloc, realloc, static_malloc, static_calloc, static_realloc};
identifier fld;
position p;
@@
x = alloc@p(...);
... when != x
(
x->fld
|
x[...]
)

// T *x = malloc(...);  ... x->f   (a declared name is an identifier: the tests on it are spelled out)
@declared exists@
identifier x, fld;
identifier alloc = {malloc, calloc, realloc, static_malloc, static_calloc, static_realloc};
type T;
position p;
expression E;
statement S1, S2;
@@
T x = alloc@p(...);
... when != x = E
    when != if (<+... x ...+>) S1 else S2
    when != if (<+... x ...+>) S1
    when != while (<+... x ...+>) S1
(
x->fld
|
x[...]
)

@script:python depends on report@
p << assigned.p;
alloc << assigned.alloc;
@@
print("%s:%s: warning: the result of %s is used without a NULL check (the BPF verifier rejects this)"
      % (p[0].file, p[0].line, alloc))

@script:python depends on report@
p << declared.p;
alloc << declared.alloc;
@@
print("%s:%s: warning: the result of %s is used without a NULL check (the BPF verifier rejects this)"
      % (p[0].file, p[0].line, alloc))
