// Rewrites calls of malloc, calloc, realloc and free, and the four used as function pointer values, to the
// dynamic_memory API (static_malloc, static_calloc, static_realloc, static_free).
// Only the function name is replaced, so arguments keep their layout. Left alone: comments, strings, struct and
// union members, other identifiers (xmalloc, my_free, free_list), declarations and prototypes, and a local
// variable or parameter named like one of the four (the `shadowed` rule finds its uses in its scope).
// Confidence: high. Coccinelle matches code, not text.

@shadowed@
type T;
identifier name = {malloc, calloc, realloc, free};
expression E;
position p;
@@
(
T name;
<...
name@p
...>
|
T name = E;
<...
name@p
...>
)

@shadowed_parameter@
type T;
identifier name = {malloc, calloc, realloc, free};
identifier fn;
position p;
@@
fn(..., T name, ...) {
<...
name@p
...>
}

@@
expression list args;
position p != {shadowed.p, shadowed_parameter.p};
@@
(
- malloc@p
+ static_malloc
  (args)
|
- calloc@p
+ static_calloc
  (args)
|
- realloc@p
+ static_realloc
  (args)
|
- free@p
+ static_free
  (args)
)

// The four as values: a callback argument, an initialiser (`.alloc = malloc`), an assignment.
@@
symbol malloc, calloc, realloc, free;
position p != {shadowed.p, shadowed_parameter.p};
@@
(
- malloc@p
+ static_malloc
|
- calloc@p
+ static_calloc
|
- realloc@p
+ static_realloc
|
- free@p
+ static_free
)
