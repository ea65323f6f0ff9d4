#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""dm port's front end: turns a plain C program that mallocs into BPF C on the arena heap, and compiles it.

    port.py PROGRAM.c -o OUT.bpf.o [--pool BYTES] [--keep DIR] [--clang CLANG] [--include-dir DIR]

Clang's own AST (-ast-dump=json, with port/include/ as the only libc) finds what BPF cannot run, which stops
the port with `FILE:LINE: construct not supported in BPF: ...`, and where to edit. The edits only insert text, and
never a line break, so that line numbers stay the program's:
  - a declaration of several declarators, `int i, *p;`, becomes one per declarator, `int i; int *p;`;
  - a function pointer declarator becomes `dm_port_function NAME` (a number), a function of the program used as a
    value its number, and a call through a pointer dm_port_call_K(LINE << 32 | pointer, args...), a switch over the
    program's functions of that type (declared before the program, defined after it);
  - every pointer declarator gets `__arena` (all the program's pointers are arena pointers), written as a comment
    until modify.sh has run, since Coccinelle keeps comments and would not parse the qualifier;
  - a variable whose address is taken (or an array used as a pointer) moves to the arena: `T __arena x`, and a local
    one becomes static, initialised again where it was declared; a parameter is copied into such a local;
  - a struct or union copied from or to arena memory is copied a byte at a time (clang 19 leaves out the arena cast);
  - a global or static variable initialised with addresses or string literals gets them when the program starts
    (dm_port_start, at the end of the file; a static local, the first time its declaration runs);
  - every string literal becomes dm_port_literal("..."), a copy on the heap;
  - every loop condition gets `&& dm_port_more(LINE)` (can_loop, failing loudly when the budget runs out);
  - an index into a fixed-size array of the program's own gets dm_port_index(i, N, LINE);
  - a constant stored in a local number gets dm_port_opaque(...), which hides it from the verifier;
  - static variables get __attribute__((used)), which keeps clang from splitting them (see keep_whole);
  - functions other than main become static, and those that take or return a struct by value always_inline (the BPF
    backend cannot pass one to a call);
  - local arrays of more than 16 bytes become static (the BPF stack has 512 bytes for a whole call chain); initialised
    ones above 64 bytes too, followed by dm_port_initialise(NAME, INITIALISER), which copies it at the declaration;
  - a goto back to a label above it (a loop) gets `if (dm_port_more(LINE))`, as loop conditions do;
  - a parenthesised function name, `int (f)(void)`, loses its parentheses (Coccinelle cannot parse it);
then modify/modify.sh rewrites malloc & co to the heap, and an allocation it reports as used without a NULL check
gets dm_port_checked(...). The result is compiled against port/include/dm_port_runtime.h.
Exit status (dm's one table, `dm --help`): 0 ported, 1 not supported (or does not compile, or has no main), 2 bad
usage, 3 bad input (missing, a directory, empty, binary), 7 internal error (a bug of the porter: it names the step;
never a traceback).
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
INCLUDE = os.path.join(HERE, "include")
MODIFY = os.path.join(os.path.dirname(HERE), "modify", "modify.sh")  # the rewriter, beside dm port's folder
# The BPF stack is 512 bytes for a function and all it calls (clang compiles most of them into one): local arrays
# larger than STATIC_FROM move to static storage (a map) when nothing initialises them, and initialised ones larger
# than INITIALISED_LIMIT too, their initial value copied again at the declaration.
STATIC_FROM = 16
INITIALISED_LIMIT = 64
# What a refused libc function is, for its message: dm port's libc is what port/include/ declares.
FILE_IO = {"fopen", "fclose", "fread", "fwrite", "fscanf", "fseek", "ftell", "rewind", "freopen", "fdopen", "open",
           "read", "write", "close", "remove", "rename", "getline", "ungetc"}
INPUT = {"gets", "sscanf", "vscanf", "getdelim"}
FORMATS = {"printf": 0, "fprintf": 1, "scanf": 0}  # functions with a format: the arguments before it
READERS = {"scanf", "getchar", "getc", "fgetc", "fgets"}  # a program that calls one gets dm run's standard input
FLOATING = {"pow", "sqrt", "exp", "log", "sin", "cos", "tan", "floor", "ceil", "fabs", "atof", "strtod", "strtof"}
# Exit statuses, from dm's one table (user/dm/dm.h, EXIT_STATUSES; dm --help prints it).
UNPORTABLE, USAGE, BAD_INPUT, INTERNAL_ERROR = 1, 2, 3, 7
ALLOCATORS = {"static_malloc": 1, "static_calloc": 2, "static_realloc": 3}
# Qualifiers and attributes go in as comments first: Coccinelle (modify.sh) keeps comments and would not parse them.
ARENA_MARK = "/*@arena*/"
MARKS = {ARENA_MARK: " __arena ", "/*@noinline*/": "__attribute__((noinline, weak)) ", "/*@arg_arena*/": " __arg_arena"}


# A function pointer's type, as clang writes it: `int (*)(int, int)`, `void (*[4])(struct node *)` (an array of them).
FUNCTION_POINTER = re.compile(r"^(?P<returns>.*?)\s*\(\*(?P<dims>(\[\d*\])*)\)\((?P<parameters>.*)\)$")


class Unsupported(Exception):
    def __init__(self, line, what):
        super().__init__(what)
        self.line, self.what = line, what


class Refused(Exception):
    """A program dm port cannot take for a reason that is not BPF's: it does not compile, it has no main. The message
    is complete (it names the file)."""


def clang_ast(clang, path):
    """The program's AST, and the compiler's complaints turned into our messages."""
    # the system's headers after dm port's: a header included for what the program does not use is no refusal
    command = [clang, "-fsyntax-only", "-ffreestanding", "-nostdlibinc", "-isystem", INCLUDE] + system_headers() + [
               "-Werror=implicit-function-declaration", "-Werror=int-conversion", "-Wno-unused-value",
               "-Xclang", "-ast-dump=json", "-x", "c", path]
    run = subprocess.run(command, capture_output=True, text=True)
    if run.returncode:
        for line in run.stderr.splitlines():
            m = re.match(r"(.*?):(\d+):(\d+): (?:fatal )?error: (.*)", line)
            if not m:
                continue
            where, message = int(m.group(2)), m.group(4)
            header = re.match(r"'(.*)' file not found", message)
            call = re.match(r"call to undeclared (?:library )?function '(\w+)'", message)
            if header:
                raise Refused("%s:%d: does not compile: #include <%s>: no such header, in dm port's libc (%s) or "
                              "the system's" % (m.group(1), where, header.group(1), INCLUDE))
            if call:
                raise Unsupported(where, unsupported_function(call.group(1)))
            raise Refused("%s:%d:%s: does not compile: %s" % (m.group(1), where, m.group(3), message))
        raise Refused("%s: does not compile:\n%s" % (path, run.stderr))
    return json.loads(run.stdout)


def system_headers():
    """The system's include directories, searched after dm port's libc (-idirafter)."""
    multiarch = subprocess.run(["gcc", "-print-multiarch"], capture_output=True, text=True).stdout.strip()
    return ["-idirafter", "/usr/include", "-idirafter", "/usr/include/" + multiarch]


def unsupported_function(name):
    kind = "file I/O" if name in FILE_IO else "input other than stdin" if name in INPUT else \
        "floating point" if name in FLOATING else "a libc function outside the supported subset"
    return "%s() is %s (see README: dm port)" % (name, kind)


def top_level_files(ast):
    """Each top-level declaration with the file it is in (where its name is, after macro expansion). The AST names a
    location's file only where it differs from the location printed before it, so every location is followed in the
    order printed."""
    found, current = [], [None]

    def follow(loc):
        for key in ("spellingLoc", "expansionLoc"):
            if key in loc:
                follow(loc[key])
        if "file" in loc:
            current[0] = loc["file"]

    def visit(node, top):
        follow(node.get("loc", {}))
        if top:
            found.append((node, current[0]))
        for end in ("begin", "end"):
            follow(node.get("range", {}).get(end, {}))
        for child in node.get("inner", []):
            visit(child, False)

    for decl in ast.get("inner", []):
        visit(decl, True)
    return found


def walk(node, parent=None):
    """Every node with its parent, in document order."""
    yield node, parent
    for child in node.get("inner", []) + node.get("array_filler", []):
        yield from walk(child, node)


def in_arena(kind):
    """A type as clang writes it, its pointers made arena pointers: `char **` is `char __arena * __arena *`."""
    return kind.replace("*", " __arena *")


def split_top_level(text):
    """A comma-separated list, split at the commas outside parentheses and brackets."""
    parts, depth, start = [], 0, 0
    for i, c in enumerate(text):
        depth += c in "(["
        depth -= c in ")]"
        if c == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    return parts + [text[start:]]


def elements(init_list):
    """The elements of an initialiser list, in order (with an array filler, clang's JSON lists them after it)."""
    return init_list["array_filler"][1:] if "array_filler" in init_list else init_list.get("inner", [])


def blanked(text):
    """Text made spaces but for its line breaks."""
    return re.sub(r"[^\n]", " ", text)


class Source:
    def __init__(self, path):
        with open(path, encoding="utf-8") as f:
            self.text = f.read()
        self.line_starts = [0] + [i + 1 for i, c in enumerate(self.text) if c == "\n"]
        self.inserts = []  # (offset, text): applied from the end
        self.moves = []  # (begin, end, destination, template): see move

    def line_of(self, offset):
        lo, hi = 0, len(self.line_starts) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self.line_starts[mid] <= offset:
                lo = mid
            else:
                hi = mid - 1
        return lo + 1

    def insert(self, offset, text):
        self.inserts.append((offset, text))

    def blank(self, begin, end=None):
        """The characters from begin to end (one, without end) made spaces, but for line breaks: offsets and lines
        stay the same for every other edit."""
        end = begin + 1 if end is None else end
        self.text = self.text[:begin] + blanked(self.text[begin:end]) + self.text[end:]

    def move(self, begin, end, destination, template):
        """The text from begin to end, with the edits made inside it (at its ends too), goes into `template` (at
        its %s) at `destination`, or into `epilogue` when that is None; the lines it leaves keep their line breaks,
        so that every other line stays where it was."""
        self.moves.append((begin, end, destination, template))

    @staticmethod
    def apply(text, inserts):
        for offset, piece in sorted(inserts, key=lambda x: x[0], reverse=True):
            text = text[:offset] + piece + text[offset:]
        return text

    def result(self):
        """The edited text, and the epilogue: what moved to the end."""
        text, inserts, epilogue = self.text, list(self.inserts), []
        for begin, end, destination, template in self.moves:
            inside = [(at - begin, piece) for at, piece in inserts if begin <= at <= end]
            inserts = [(at, piece) for at, piece in inserts if not begin <= at <= end]
            piece = template % self.apply(text[begin:end], inside).replace("\n", " ")
            text = text[:begin] + blanked(text[begin:end]) + text[end:]
            if destination is None:
                epilogue.append(piece)
            else:
                inserts.append((destination, piece))
        return self.apply(text, inserts), epilogue


def offset(loc):
    """The file offset of a location written in the program itself (not in a macro, not in a header)."""
    if not loc or "offset" not in loc or "includedFrom" in loc or "spellingLoc" in loc:
        return None
    return loc["offset"]


def start_offset(loc):
    """Where a range starts in the program's text, also when it starts with a macro (its expansion)."""
    loc = loc.get("expansionLoc", loc)
    return None if "includedFrom" in loc else loc.get("offset")


def end_offset(loc):
    """Just past the last token of a range, also when it ends with a macro (its expansion)."""
    loc = loc.get("expansionLoc", loc)
    return loc["offset"] + loc.get("tokLen", 0)


class Porter:
    def __init__(self, path, ast, source, clang):
        self.src = source
        self.nodes = {}
        self.by_value = set()  # functions that take or return a struct or union by value
        self.in_arena = {}  # id: the variables whose address the program takes, which move to the arena
        self.declaration_start = {}  # id: where a declarator's own declaration starts, once split (split_declarations)
        self.records = {}  # "struct NAME": its RecordDecl (with its fields)
        self.function_numbers = {}  # name: the number a pointer to this function of the program becomes
        self.dispatchers = {}  # a function pointer type: (its dm_port_call_K name, its parameter types)
        self.prologue = []  # what the ported program needs declared before its first line
        self.kept_whole = set()  # where static declarations got __attribute__((used))
        self.main_decls = []  # top-level declarations of the program (not of the headers)
        self.library = set()  # the functions of dm port's libc: those port/include/ declares
        self.dropped = []  # system headers the program includes, left out of the port (drop_system_headers)
        self.reads_input = False  # whether it calls an input function (READERS)
        self.clang = clang
        for decl, where in top_level_files(ast):
            if decl.get("kind") == "FunctionDecl" and (where or "").startswith(INCLUDE + os.sep):
                self.library.add(decl.get("name"))
            if decl.get("isImplicit") or (where and where != path and os.path.basename(where) != os.path.basename(path)):
                continue
            self.main_decls.append(decl)
        self.always_inline = {d.get("name") for d in self.main_decls if d.get("kind") == "FunctionDecl" and any(
            n.get("kind") == "AlwaysInlineAttr" for n in d.get("inner", []))}  # a group's members (RecursiveGroup)
        self.typedefs = {d["name"]: d.get("type", {}).get("qualType", "") for d in self.main_decls
                         if d["kind"] == "TypedefDecl"}  # typedef name: its type
        for decl in self.main_decls:
            for node, parent in walk(decl):
                node["_parent"] = parent
                if "id" in node:
                    self.nodes[node["id"]] = node
                if node.get("kind") == "RecordDecl" and node.get("completeDefinition") and node.get("name"):
                    self.records["%s %s" % (node.get("tagUsed", "struct"), node["name"])] = node

    def check_main(self, path):
        main = next((d for d in self.main_decls if d["kind"] == "FunctionDecl" and d.get("name") == "main"
                     and any(n.get("kind") == "CompoundStmt" for n in d.get("inner", []))), None)
        if main is None:
            raise Refused("%s: no main function: dm port runs a whole program, from its int main(void)" % path)
        parameters = [n for n in main.get("inner", []) if n.get("kind") == "ParmVarDecl"]
        if len(parameters) not in (0, 2):
            raise Unsupported(self.line(main), "main with %d parameters: a ported program's main is int main(void) "
                              "or int main(int argc, char **argv)" % len(parameters))
        self.main_arguments = parameters

    def arguments_in_heap(self):
        """main's argv points into the heap (dm_port_run copies the arguments there), and the pointer itself is an
        arena pointer: `char *argv[]` becomes `char **argv` (whose stars annotate_pointers marks), and argv gets
        __arg_arena, as the parameters of global functions do (main is called by dm_port_run)."""
        if not self.main_arguments:
            return
        argv = self.main_arguments[1]
        name_at = offset(argv.get("loc"))
        if name_at is None or not argv.get("name"):
            raise Unsupported(self.line(argv), "main's argv declared through a macro or unnamed")
        after = name_at + len(argv["name"])
        brackets = re.match(r"\s*\[\s*\]", self.src.text[after:])
        if brackets:
            self.src.blank(after, after + brackets.end())
            self.src.insert(name_at, ARENA_MARK + "*")
        self.src.insert(after, "/*@arg_arena*/")

    def line(self, node):
        loc = node.get("loc") or node.get("range", {}).get("begin", {})
        off = loc.get("offset")
        if off is None and "expansionLoc" in loc:
            off = loc["expansionLoc"].get("offset")
        return self.src.line_of(off) if off is not None else 0

    # ---------------------------------------------------------------- recursion

    def function_named(self, node):
        """The name of the function a call calls by name (its DeclRefExpr), or None: not a call, or a call through a
        pointer."""
        if node.get("kind") != "CallExpr":
            return None
        target = node["inner"][0]
        while target.get("kind") in ("ImplicitCastExpr", "ParenExpr"):
            target = target["inner"][0]
        named = target.get("kind") == "DeclRefExpr" and target.get("referencedDecl", {}).get("kind") == "FunctionDecl"
        return target if named else None

    def called_function(self, node):
        """The name of the function a call calls by name, or None."""
        named = self.function_named(node)
        return named["referencedDecl"].get("name") if named else None

    def merge_recursive_groups(self):
        """Functions that call each other become one function that calls itself (RecursiveGroup says how), which
        recursion_as_loops then takes; before it, and before the rest of the port, which read the program again.
        Returns whether a group was merged."""
        defined = {d["name"]: d for d in self.main_decls if d.get("kind") == "FunctionDecl" and
                   any(n.get("kind") == "CompoundStmt" for n in d.get("inner", []))}
        calls = {name: sorted({self.called_function(n) for n, _ in walk(d)} & set(defined) - {name})
                 for name, d in defined.items()}
        # Tarjan's strongly connected components: a component of more than one function is a group
        index, low, stack, groups = {}, {}, [], []

        def visit(name):
            index[name] = low[name] = len(index)
            stack.append(name)
            for callee in calls[name]:
                if callee not in index:
                    visit(callee)
                    low[name] = min(low[name], low[callee])
                elif callee in stack:
                    low[name] = min(low[name], index[callee])
            if low[name] == index[name]:
                component = stack[stack.index(name):]
                del stack[stack.index(name):]
                if len(component) > 1:
                    groups.append(sorted((defined[n] for n in component), key=lambda d: d["range"]["begin"].get(
                        "offset", 0)))

        for name in sorted(defined):
            if name not in index:
                visit(name)
        for members in groups:
            RecursiveGroup(self, members).merge()
        return bool(groups)

    def recursion_as_loops(self):
        """A function that calls itself becomes a loop over an explicit stack of its frames on the heap, in plain C
        on the program's own lines, before the rest of the port (which then reads it again) sees it (RecursiveFunction
        says how). Functions that call each other are one such function by then (merge_recursive_groups). Returns
        whether a function was rewritten."""
        rewritten = False
        for function in self.main_decls:
            body = [n for n in function.get("inner", []) if n.get("kind") == "CompoundStmt"]
            if function.get("kind") == "FunctionDecl" and body:
                rewritten |= RecursiveFunction(self, function, body[0]).rewrite()
        return rewritten

    def statement_end(self, node):
        """Just past a statement: its closing brace, or the semicolon that ends it."""
        kind = node.get("kind")
        if kind in ("CompoundStmt", "DeclStmt"):  # a declaration's range ends with its semicolon
            return end_offset(node["range"]["end"])
        if kind in ("IfStmt", "WhileStmt", "ForStmt", "SwitchStmt", "CaseStmt", "DefaultStmt", "LabelStmt"):
            return self.statement_end(node["inner"][-1])
        return self.src.text.index(";", end_offset(node["range"]["end"]) if kind != "NullStmt" else
                                   start_offset(node["range"]["begin"])) + 1

    # ---------------------------------------------------------------- what BPF cannot run

    def check(self):
        functions = {d["id"]: d for d in self.main_decls if d["kind"] == "FunctionDecl"}
        defined = {d["name"] for d in functions.values() if any(n.get("kind") == "CompoundStmt" for n in d.get("inner", []))}
        calls = {}
        for decl in self.main_decls:
            for node, parent in walk(decl):
                qual = node.get("type", {}).get("qualType", "")
                if re.search(r"\b(float|double)\b", qual) and self.computes(node, parent):
                    raise Unsupported(self.line(node), "floating point (%s)" % qual)
                declared = node.get("kind") in ("VarDecl", "ParmVarDecl", "FieldDecl", "TypedefDecl")
                if declared and re.search(r"\(\*\*+(\[\d*\])*\)\(", qual) or \
                        "(*)(" in qual and node.get("kind") == "CStyleCastExpr":
                    raise Unsupported(self.line(node), "a pointer to a function pointer, or a cast to a function "
                                      "pointer (%s)" % qual)
                if node.get("kind") in ("VarDecl", "ParmVarDecl", "FieldDecl") and re.search(r"\[[^\]]*[A-Za-z_(][^\]]*\]", qual):
                    raise Unsupported(self.line(node), "variable-length array '%s' (%s)" % (node.get("name"), qual))
                target = self.pointed_variable(node, parent)
                if target is not None:
                    self.in_arena.setdefault(target["id"], self.nodes.get(target["id"], target))
                if node.get("kind") == "ParmVarDecl" and self.is_record(node):
                    self.by_value.add(self.enclosing_function(node).get("name"))
                if node.get("kind") == "CallExpr":
                    callee = self.callee(node)
                    if callee in FORMATS:
                        self.check_format(node, callee)
                    self.reads_input |= callee in READERS
                    if self.is_record(node):
                        self.by_value.add(callee)
                if node.get("kind") == "DeclRefExpr" and node.get("referencedDecl", {}).get("kind") == "FunctionDecl":
                    name = node["referencedDecl"].get("name", "")
                    if name not in defined and name not in self.library and \
                            not name.startswith(("__builtin", "dm_port_")):  # the runtime's (recursion_as_loops)
                        raise Unsupported(self.line(node), unsupported_function(name))  # a system header's
                    caller = self.enclosing_function(node)
                    if caller is not None:
                        calls.setdefault(caller["id"], {}).setdefault(node["referencedDecl"]["id"], self.line(node))
        edges = {}  # caller name -> {callee name: line of the call}
        for caller, callees in calls.items():
            for callee, line in callees.items():
                target = self.nodes.get(callee) or functions.get(callee)
                if target is not None:
                    edges.setdefault(functions[caller]["name"], {}).setdefault(target["name"], line)
        self.check_recursion(edges)

    def check_recursion(self, edges):
        state = {}

        def visit(name, path):
            state[name] = 1
            for callee in sorted(edges.get(name, {})):
                if state.get(callee) == 1:
                    cycle = path[path.index(callee):] + [callee]
                    raise Unsupported(edges[name][callee], "recursion through a function pointer (%s): dm port "
                                      "runs functions that call themselves or each other by name on a stack of "
                                      "frames, not through a pointer to one of them" % " -> ".join(cycle))
                if callee not in state:
                    visit(callee, path + [callee])
            state[name] = 2

        for name in sorted(edges):
            if name not in state:
                visit(name, [name])

    def computes(self, node, parent):
        """Whether a floating-point node computes (a use): not a declaration, nor a constant that initialises one
        (a float declared, even initialised, and never used is no refusal: it compiles to data, or to nothing)."""
        kind = node.get("kind", "")
        if not kind.endswith(("Expr", "Literal", "Operator")):
            return False
        while kind in ("FloatingLiteral", "IntegerLiteral", "ImplicitCastExpr", "ParenExpr", "InitListExpr") or \
                (kind == "UnaryOperator" and node.get("opcode") == "-"):
            node, parent = parent, parent.get("_parent") if parent else None
            kind = node.get("kind", "") if node else ""
        return kind != "VarDecl"

    def check_format(self, call, function):
        args = call.get("inner", [])[1 + FORMATS[function]:]
        if len(args) - 1 > 12:
            raise Unsupported(self.line(call), "%s with more than 12 arguments" % function)
        literal = next((n for n, _ in walk(args[0]) if n.get("kind") == "StringLiteral"), None) if args else None
        if literal is None:
            raise Unsupported(self.line(call), "%s with a format that is not a string literal" % function)
        if function == "scanf":
            for spec in re.finditer(r"%\*?\d*(hh|h|ll|l|z|j)?(.)", literal["value"]):
                if spec.group(2) not in "diuxXoncs%":
                    raise Unsupported(self.line(call), "scanf conversion %s" % spec.group(0))
            return
        for spec in re.finditer(r"%[-0 +#]*(\*|\d*)(\.\d*)?(hh|h|ll|l|z|j|t|L)?(.)", literal["value"]):
            conversion = spec.group(4)
            if spec.group(1) == "*" or spec.group(2):
                raise Unsupported(self.line(call), "printf precision or '*' width (%s)" % spec.group(0))
            if conversion in "feEgGaA":
                raise Unsupported(self.line(call), "floating point (printf %s)" % spec.group(0))
            if conversion == "p":
                raise Unsupported(self.line(call), "printf %p: addresses differ from the native program's")
            if conversion not in "diuxXcs%":
                raise Unsupported(self.line(call), "printf conversion %s" % spec.group(0))

    def pointed_variable(self, node, parent):
        """The variable whose address an expression takes, `&x`, `&x.part`, `&a[i]`, or an array `a` used as a
        pointer (not indexed: a[i] is the array itself), or None."""
        if node.get("kind") == "UnaryOperator" and node.get("opcode") == "&":
            return self.referenced_variable(node["inner"][0])
        if node.get("kind") == "ImplicitCastExpr" and node.get("castKind") == "ArrayToPointerDecay" \
                and parent.get("kind") != "ArraySubscriptExpr":
            return self.referenced_variable(node["inner"][0])
        return None

    def referenced_variable(self, expr):
        """The variable (not heap memory) an expression names: x, (x), or an array x's element x[i].field..."""
        kind = expr.get("kind")
        if kind in ("ParenExpr", "ImplicitCastExpr"):
            return self.referenced_variable(expr["inner"][0])
        if kind == "DeclRefExpr":
            decl = expr.get("referencedDecl", {})
            if decl.get("kind") in ("VarDecl", "ParmVarDecl"):
                return decl
        if kind == "MemberExpr" and not expr.get("isArrow"):
            return self.referenced_variable(expr["inner"][0])
        if kind == "ArraySubscriptExpr":
            base = expr["inner"][0]
            if base.get("kind") == "ImplicitCastExpr" and base.get("castKind") == "ArrayToPointerDecay":
                return self.referenced_variable(base["inner"][0])
        return None

    def is_record(self, node):
        """Whether a node's type is a struct or union itself (not a pointer to one, not an array of them)."""
        kind = node.get("type", {})
        qual = kind.get("desugaredQualType", kind.get("qualType", ""))
        while "typeAliasDeclId" in kind and kind["typeAliasDeclId"] in self.nodes:  # a typedef: what it names
            kind = self.nodes[kind["typeAliasDeclId"]].get("type", {})
            qual = kind.get("qualType", "")
        qual = re.sub(r"\((unnamed|anonymous) .*?\)", "", qual)
        return bool(re.match(r"((const|volatile) )*(struct|union)\b[^*\[(]*$", qual))

    def callee(self, call):
        for node, _ in walk(call["inner"][0]):
            if node.get("kind") == "DeclRefExpr":
                return node.get("referencedDecl", {}).get("name")
        return None

    def enclosing_function(self, node):
        while node is not None and node.get("kind") != "FunctionDecl":
            node = node.get("_parent")
        return node

    # ---------------------------------------------------------------- edits

    def plain_function_names(self):
        """`int (name)(...)`, which protects a name from a macro, becomes `int  name (...)`: Coccinelle (modify.sh)
        cannot parse the parenthesised form."""
        text = self.src.text
        for decl in self.main_decls:
            name_at = offset(decl.get("loc")) if decl.get("kind") == "FunctionDecl" else None
            if name_at is None or not text.startswith(decl["name"], name_at):
                continue
            before = len(text[:name_at].rstrip()) - 1
            after = name_at + len(decl["name"])
            after += len(text[after:]) - len(text[after:].lstrip())
            if before >= 0 and text[before] == "(" and text[after:after + 1] == ")":
                self.src.blank(before)
                self.src.blank(after)

    def drop_system_headers(self):
        """An #include of a header that is neither dm port's libc nor clang's own (<time.h>, <malloc.h>) becomes
        blank: glibc's headers do not compile for BPF, and what the program uses from one is refused at the use
        (a function by check, a type or a macro by the BPF compile, as undeclared)."""
        resource = os.path.join(subprocess.run([self.clang, "-print-resource-dir"], capture_output=True,
                                               text=True).stdout.strip(), "include")
        for m in re.finditer(r"^[ \t]*#[ \t]*include[ \t]*<([^>]+)>[^\n]*", self.src.text, re.M):
            header = m.group(1)
            if not any(os.path.exists(os.path.join(d, header)) for d in (INCLUDE, resource)):
                self.dropped.append(header)
                self.src.blank(m.start(), m.end())

    def star_run_before(self, end):
        """Offsets of the '*' of a declarator that ends just before `end` (a name, a '[' or a ')')."""
        text, stars, i = self.src.text, [], end - 1
        while i >= 0:
            c = text[i]
            if c == "*":
                stars.append(i)
            elif c.isspace():
                pass
            elif re.search(r"\b(const|volatile|restrict)$", text[:i + 1]):
                i -= len(re.search(r"(const|volatile|restrict)$", text[:i + 1]).group(0)) - 1
            else:
                break
            i -= 1
        return stars

    def declarator_start(self, node):
        """Where a declarator starts: its name, or the stars and parentheses before it."""
        name_at = offset(node.get("loc"))
        start = min(self.star_run_before(name_at) + [name_at])
        while self.src.text[:start].rstrip().endswith("("):
            start = len(self.src.text[:start].rstrip()) - 1
        return start

    def declaration_groups(self):
        """The declarations of several declarators, `int i, *p;`, as lists of their declarators (the AST has one node
        per declarator, all with the range of the whole declaration from its start)."""
        groups = {}
        for decl in self.main_decls:
            for node, parent in walk(decl):
                if node.get("kind") in ("VarDecl", "FieldDecl", "TypedefDecl") and node.get("range") and \
                        offset(node.get("loc")) is not None and offset(node["range"]["begin"]) is not None:
                    groups.setdefault((node["range"]["begin"]["offset"], node["kind"]), []).append((node, parent))
        return [group for group in groups.values() if len(group) > 1]

    def split_declarations(self):
        """`int i, *p = q;` becomes `int i; int *p = q;` (each comma a ';' and the declaration's type again): each
        declarator then gets its own qualifiers (__arena), storage (static) and initialisation. Not in a for loop's
        first clause (a single declaration there) nor where the type defines a struct (it cannot be written twice)."""
        for group in self.declaration_groups():
            first, parent = group[0]
            if parent is not None and parent.get("kind") == "DeclStmt" and \
                    (parent.get("_parent") or {}).get("kind") == "ForStmt":
                continue
            begin = first["range"]["begin"]["offset"]
            base = self.src.text[begin:self.declarator_start(first)]
            if "{" in base or "\n" in base:
                continue
            for (previous, _), (node, _) in zip(group, group[1:]):
                comma = self.src.text.find(",", end_offset(previous["range"]["end"]))
                if comma < 0 or comma > offset(node.get("loc")):
                    raise Unsupported(self.line(node), "a declaration this port cannot read")
                self.src.blank(comma)
                self.src.insert(comma, ";")
                self.src.insert(comma + 1, " " + base)
                self.declaration_start[node["id"]] = comma + 1
            self.declaration_start[first["id"]] = begin

    @staticmethod
    def function_pointer(node):
        """The parts of a node's function pointer type (spelled in the declaration, not through a typedef), or None."""
        return FUNCTION_POINTER.match(node.get("type", {}).get("qualType", ""))

    def function_pointers(self):
        """A pointer to a function of the program becomes a number (dm_port_function; 0 is NULL), and a call through
        one a call of dm_port_call_K, a switch over the program's functions of that type, written at the end of the
        program (the whole program is known, so is every function a pointer can hold)."""
        for decl in self.main_decls:
            for node, parent in walk(decl):
                kind = node.get("kind")
                if kind in ("VarDecl", "ParmVarDecl", "FieldDecl", "TypedefDecl") and self.function_pointer(node):
                    self.number_declarator(node)
                elif kind == "DeclRefExpr" and node.get("referencedDecl", {}).get("kind") == "FunctionDecl" and \
                        parent.get("kind") in ("ImplicitCastExpr", "UnaryOperator") and not self.is_callee(parent):
                    self.number_function(node, parent)
                elif kind == "CallExpr" and self.called_through_pointer(node):
                    self.call_through_pointer(node)

    def is_callee(self, expr):
        """Whether a function's name is what a call calls (f(x), not g(f))."""
        parent = expr.get("_parent") or {}
        return parent.get("kind") == "CallExpr" and parent["inner"][0] is expr

    def called_through_pointer(self, call):
        return self.function_named(call) is None

    def number_declarator(self, node):
        """`int (*f[2])(int)` becomes `dm_port_function f[2]` (with its storage class: static, typedef...)."""
        name_at = offset(node.get("loc"))
        if name_at is None or not node.get("name"):
            raise Unsupported(self.line(node), "a function pointer declared without a name or by a macro")
        start = self.declaration_start.get(node["id"], offset(node["range"]["begin"]))
        init = self.initialiser(node) if node.get("kind") == "VarDecl" else None
        end = init[0] if init else end_offset(node["range"]["end"])
        dims = re.match(r"(\s*\[[^\]]*\])*", self.src.text[name_at + len(node["name"]):]).group(0)
        storage = re.findall(r"\b(?:static|extern|typedef|const)\b", self.src.text[start:self.declarator_start(node)])
        self.src.blank(start, end)
        self.src.insert(start, "%s dm_port_function %s%s " % (" ".join(storage), node["name"], dims.strip()))

    def number_function(self, name, parent):
        """`f` or `&f`, a function of the program used as a value, becomes its number."""
        function = name["referencedDecl"]["name"]
        number = self.function_numbers.setdefault(function, len(self.function_numbers) + 1)
        begin = start_offset(name["range"]["begin"])
        if parent.get("kind") == "UnaryOperator":
            if parent.get("opcode") != "&":
                return
            begin = start_offset(parent["range"]["begin"])
        if begin is None or offset(name["range"]["begin"]) is None:
            raise Unsupported(self.line(name), "a pointer to '%s' taken in a macro" % function)
        self.src.blank(begin, end_offset(name["range"]["end"]))
        self.src.insert(begin, "((dm_port_function)%d)" % number)

    def call_through_pointer(self, call):
        """`f(x)`, `(*f)(x)`, `node->visit(n)` become dm_port_call_K(LINE << 32 | (f), x)."""
        callee = call["inner"][0]
        value = callee
        while value.get("kind") in ("ImplicitCastExpr", "ParenExpr") or \
                value.get("kind") == "UnaryOperator" and value.get("opcode") == "*":
            if value.get("kind") == "UnaryOperator":
                self.src.blank(offset(value["range"]["begin"]))  # (*f)(x): the star
            value = value["inner"][0]
        kind = value.get("type", {})
        match = FUNCTION_POINTER.match(kind.get("desugaredQualType", kind.get("qualType", "")))
        begin, end = start_offset(callee["range"]["begin"]), end_offset(callee["range"]["end"])
        if match is None or match.group("dims") or begin is None:
            raise Unsupported(self.line(call), "a call through %s, which is not a function pointer this port can "
                              "read" % kind.get("qualType"))
        signature = "%s (%s)" % (match.group("returns"), match.group("parameters"))
        name = self.dispatchers.setdefault(signature, "dm_port_call_%d" % (len(self.dispatchers) + 1))
        # the line and the function in one argument: BPF calls take five, and a callback may have four of its own
        self.src.insert(begin, "%s(((unsigned long)%d << 32) | (" % (name, self.line(call)))
        paren = self.src.text.find("(", end)
        self.src.blank(paren)
        self.src.insert(paren, "), " if len(call["inner"]) > 1 else ")")

    def write_dispatchers(self):
        """dm_port_call_K for each function pointer type the program calls through: declared before the program
        (with the structs its parameters name), defined after it. A number that is no function of that type ends
        the program with `FILE:LINE: a call through a function pointer that holds no function of its type` (natively,
        a crash)."""
        definitions = []
        functions = {d["name"]: d for d in self.main_decls if d.get("kind") == "FunctionDecl"}
        for signature, name in self.dispatchers.items():
            returns, parameters = re.match(r"^(.*?) \((.*)\)$", signature).groups()
            types = [t.strip() for t in split_top_level(parameters)] if parameters not in ("", "void") else []
            self.prologue.extend("%s;" % tag for tag in re.findall(r"\b(?:struct|union) \w+", signature)
                                 if "%s;" % tag not in self.prologue)
            parameters = "".join(", %s dm_port_a%d" % (in_arena(t), i) for i, t in enumerate(types))
            header = "static %s %s(__u64 dm_port_at%s)" % (in_arena(returns), name, parameters)
            self.prologue.append(header + ";")
            arguments = ", ".join("dm_port_a%d" % i for i in range(len(types)))
            cases = []
            for function, number in sorted(self.function_numbers.items(), key=lambda x: x[1]):
                kind = functions.get(function, {}).get("type", {})
                if kind.get("desugaredQualType", kind.get("qualType")) == signature:
                    call = "%s(%s)" % (function, arguments)
                    cases.append("case %d: %s" % (number, "%s; return;" % call if returns == "void"
                                                  else "return %s;" % call))
            returned = "" if returns == "void" else " 0"
            definitions.append("%s { __u32 dm_port_line = dm_port_at >> 32; dm_port_function dm_port_f = (__u32)"
                               "dm_port_at; switch (dm_port_f) { %s } dm_port_fail(dm_port_line, DM_PORT_BAD_FUNCTION, "
                               "dm_port_f, 0); return%s; }" % (header, " ".join(cases), returned))
        return definitions

    def annotate_pointers(self):
        """`__arena` before every '*' of a declarator: `T **p` becomes `T __arena *__arena *p`. Declarators after
        the first of a declaration that was not split share its base type, so they get it only between their own
        stars."""
        first_of = {}
        for decl in self.main_decls:
            for node, _ in walk(decl):
                if node.get("kind") in ("VarDecl", "FieldDecl") and offset(node.get("loc")) is not None \
                        and node["id"] not in self.declaration_start:
                    begin = node["range"]["begin"].get("offset")
                    first_of.setdefault(begin, node)
        for decl in self.main_decls:
            for node, _ in walk(decl):
                kind = node.get("kind")
                qual = node.get("type", {}).get("qualType", "")
                if kind in ("VarDecl", "ParmVarDecl", "FieldDecl", "TypedefDecl") and "*" in qual and \
                        not self.function_pointer(node):
                    name_at = offset(node.get("loc"))
                    if name_at is None:
                        continue
                    if not node.get("name"):  # an unnamed parameter: its declarator ends with the range
                        name_at = end_offset(node["range"]["end"])
                    stars = self.star_run_before(name_at)
                    first = node if node.get("id") in self.declaration_start else \
                        first_of.get(node["range"]["begin"].get("offset"), node)
                    if first is not node:
                        if "*" not in first.get("type", {}).get("qualType", ""):
                            raise Unsupported(self.line(node), "pointer '%s' declared after a non-pointer in one "
                                              "declaration: declare it on its own" % node.get("name"))
                        stars = stars[:-1]  # stars run right to left: the last is the one next to the base
                    for star in stars:
                        self.src.insert(star, ARENA_MARK)
                elif kind == "FunctionDecl" and "*" in qual.split("(")[0]:
                    name_at = offset(node.get("loc"))
                    if name_at is not None:
                        for star in self.star_run_before(name_at):
                            self.src.insert(star, ARENA_MARK)
                elif kind == "CStyleCastExpr" and "*" in qual and offset(node["range"]["begin"]) is not None:
                    close = self.src.text.find(")", node["range"]["begin"]["offset"])
                    for star in self.star_run_before(close):
                        self.src.insert(star, ARENA_MARK)

    def is_global(self, variable):
        """A variable with one instance for the whole program: a global or a static local."""
        parent = variable.get("_parent")
        return variable.get("kind") == "VarDecl" and (parent is None or parent.get("kind") != "DeclStmt"
                                                      or variable.get("storageClass") in ("static", "extern"))

    def is_constant(self, init):
        """Whether an initialiser is made of constants only, which a static one may hold: no variable, no call, no
        string literal (each becomes a copy on the heap) but the one a char array is initialised with."""
        for node, parent in walk(init):
            kind = node.get("kind")
            if kind == "CallExpr" or kind == "StmtExpr":
                return False
            if kind == "DeclRefExpr" and node.get("referencedDecl", {}).get("kind") != "EnumConstantDecl":
                return False
            if kind == "StringLiteral" and self.is_decayed(parent):
                return False
        return True

    @staticmethod
    def is_decayed(parent):
        """Whether an array (a string literal) is used as a pointer, rather than initialising an array."""
        return (parent or {}).get("kind") == "ImplicitCastExpr" and parent.get("castKind") == "ArrayToPointerDecay"

    def parts(self, init, path):
        """(lvalue, expression) for each part of an initialiser that is not zero: `{ {&a}, {0, &b} }` of x gives
        (x[0][0], &a), (x[1][0], 0), (x[1][1], &b)."""
        kind = init.get("kind")
        if kind == "ImplicitValueInitExpr":
            return
        if kind != "InitListExpr":
            yield path, init
            return
        qual = re.sub(r"^((const|volatile) )+", "", init["type"].get("desugaredQualType", init["type"]["qualType"]))
        items = elements(init)
        if qual.endswith("]"):
            for i, item in enumerate(items):
                yield from self.parts(item, "%s[%d]" % (path, i))
        elif isinstance(init.get("field"), dict):  # a union: the member it initialises
            yield from self.parts(items[0], "%s.%s" % (path, init["field"]["name"]))
        else:
            record = self.records.get(qual)
            fields = [f.get("name") for f in (record or {}).get("inner", []) if f.get("kind") == "FieldDecl"]
            if record is None or not all(fields):
                raise Unsupported(self.line(init), "an initialiser of %s with addresses in it: this port needs the "
                                  "struct's name and its members' (initialise it by assignments)" % qual)
            for field, item in zip(fields, items):
                yield from self.parts(item, "%s.%s" % (path, field))

    def drop_const(self, variable):
        """A variable assigned when the program starts (or, a static local, where it is declared) cannot be const:
        `T *const p` becomes `T * p` (and `const T x` becomes `T x`, whose pointers then lose a const that nothing
        relied on to compile)."""
        name_at = offset(variable.get("loc"))
        stars = self.star_run_before(name_at)
        start = stars[0] if stars else self.declaration_start.get(variable["id"], variable["range"]["begin"]["offset"])
        for word in re.finditer(r"\bconst\b", self.src.text[start:name_at]):
            self.src.blank(start + word.start(), start + word.end())

    def initialise_by_parts(self, variable, begin, end, destination, once):
        """An aggregate variable initialised with what exists only once the program runs: its initialiser's braces
        and commas become spaces, and each part goes to `destination` (None: the epilogue) as an assignment (once:
        the first time only, for a static local)."""
        parts = list(self.parts(variable["inner"][-1], variable["name"]))
        kept = set()
        for path, part in parts:
            part_begin, part_end = start_offset(part["range"]["begin"]), end_offset(part["range"]["end"])
            if part_begin is None or not begin <= part_begin <= part_end <= end:
                raise Unsupported(self.line(variable), "an initialiser of '%s' this port cannot read (a macro)"
                                  % variable["name"])
            kept.update(range(part_begin, part_end))
            array = "[" in part.get("type", {}).get("qualType", "") and part.get("kind") == "StringLiteral"
            assign = ("dm_port_initialise(%s, %%s);" if array else "%s = %%s;") % path
            if once:
                assign = "{ static int dm_port_done; if (!dm_port_done) { dm_port_done = 1; %s } }" % assign
            self.src.move(part_begin, part_end, destination, " " + assign)
        for i in range(begin, end):
            if i not in kept and self.src.text[i] != "\n":
                self.src.blank(i)

    def initialiser(self, variable):
        """A variable's initialiser: (the offset of its '=', where it begins, where it ends), or None."""
        if not variable.get("init"):
            return None
        init = variable["inner"][-1]
        begin, end = start_offset(init["range"]["begin"]), end_offset(init["range"]["end"])
        equals = self.src.text.rfind("=", offset(variable.get("loc")), begin) if begin is not None else -1
        if equals < 0:
            raise Unsupported(self.line(variable), "an initialiser of '%s' this port cannot read (a macro)"
                              % variable["name"])
        return equals, begin, end

    def is_aggregate(self, variable):
        return "[" in variable.get("type", {}).get("qualType", "") or self.is_record(variable)

    def arena_variables(self):
        """A variable whose address the program takes (or an array it uses as a pointer) lives in the arena, where
        every pointer of the program points: a global or static one becomes `T __arena name`; a local one becomes a
        static one in the arena (a function that does not recurse has one activation at a time), initialised
        where it is declared; a parameter is copied into such a local where its function starts."""
        names = {variable["name"] for variable in self.in_arena.values() if self.is_global(variable)
                 and variable.get("_parent") is None}
        for decl in self.main_decls:  # a global declared more than once: every declaration
            if decl.get("kind") == "VarDecl" and decl.get("name") in names:
                self.in_arena.setdefault(decl["id"], decl)
        for variable in self.in_arena.values():
            name_at = offset(variable.get("loc"))
            if name_at is None or not self.src.text.startswith(variable["name"], name_at):
                raise Unsupported(self.line(variable), "taking the address of '%s', which a macro declares"
                                  % variable["name"])
            if variable["kind"] == "ParmVarDecl":
                self.copy_parameter(variable, name_at)
                continue
            self.src.insert(name_at, ARENA_MARK)
            if not self.is_global(variable):
                self.make_local_static(variable, name_at)

    def copy_parameter(self, parameter, name_at):
        function = self.enclosing_function(parameter)
        body = next((n for n in function.get("inner", []) if n.get("kind") == "CompoundStmt"), None)
        if body is None or offset(body["range"]["begin"]) is None:
            raise Unsupported(self.line(parameter), "taking the address of the parameter '%s' of a function this "
                              "port cannot read" % parameter["name"])
        name = parameter["name"]
        self.src.insert(name_at, "dm_port_arg_")
        self.src.insert(body["range"]["begin"]["offset"] + 1, " dm_port_parameter(%s);" % name)

    def make_local_static(self, variable, name_at):
        """`T x = v;` becomes `static T __arena x; x = v;` (arrays and structs: dm_port_initialise or
        initialise_aggregate), on the declaration's own line."""
        statement = variable["_parent"]
        if variable["id"] not in self.declaration_start and len(statement.get("inner", [])) > 1 or \
                (statement.get("_parent") or {}).get("kind") == "ForStmt":
            raise Unsupported(self.line(variable), "taking the address of '%s', declared with other variables in a "
                              "for loop or a struct definition: declare it on its own" % variable["name"])
        start = self.declaration_start.get(variable["id"], variable["range"]["begin"]["offset"])
        self.src.insert(start, "static __attribute__((used)) ")
        size = re.search(r"\[(\d+)\]", variable.get("type", {}).get("qualType", ""))
        unsized = re.match(r"\s*\[\s*\]", self.src.text[name_at + len(variable["name"]):])
        if unsized and size:  # char s[] = "...": the static one needs its size
            self.src.insert(name_at + len(variable["name"]) + unsized.end() - 1, size.group(1))
        init = self.initialiser(variable)
        if init is None:
            return
        equals, begin, end = init
        if not self.is_aggregate(variable):
            self.drop_const(variable)
            self.src.insert(equals, "; %s " % variable["name"])
            return
        self.initialise_aggregate(variable)

    def initialise_aggregate(self, variable):
        """An array or struct made static gets its initial value at its declaration, as a local would: a constant one
        copied (dm_port_initialise), else zeroed and assigned by parts after the declaration."""
        equals, begin, end = self.initialiser(variable)
        self.src.blank(equals)
        if self.is_constant(variable["inner"][-1]):
            self.src.insert(equals, "; dm_port_initialise(%s, " % variable["name"])
            self.src.insert(end, ")")
            return
        self.src.insert(equals, "; dm_port_zero(%s)" % variable["name"])
        self.initialise_by_parts(variable, begin, end, self.src.text.find(";", end) + 1, False)

    def initialise_at_start(self):
        """A global or static variable initialised with what only exists once the program runs (an address, a
        string literal's copy on the heap) gets that value when the program starts: a global in the epilogue, which
        dm_port_run calls before main; a static local the first time its declaration is reached."""
        for decl in self.main_decls:
            for variable, _ in walk(decl):
                if variable.get("kind") != "VarDecl" or not self.is_global(variable) or not variable.get("init") \
                        or self.is_constant(variable["inner"][-1]):
                    continue
                if offset(variable.get("loc")) is None:
                    raise Unsupported(self.line(variable), "an initialiser of '%s' this port cannot read (a macro)"
                                      % variable["name"])
                equals, begin, end = self.initialiser(variable)
                self.src.blank(equals)
                self.drop_const(variable)
                local = variable.get("_parent") is not None
                destination = self.src.text.find(";", end) + 1 if local else None
                if self.is_aggregate(variable):
                    self.initialise_by_parts(variable, begin, end, destination, local)
                elif local:
                    self.src.move(begin, end, destination, " { static int dm_port_done; if (!dm_port_done) { "
                                  "dm_port_done = 1; %s = %%s; } }" % variable["name"])
                else:
                    self.src.move(begin, end, None, "%s = %%s;" % variable["name"])

    def may_be_in_arena(self, expr):
        """Whether an lvalue may be arena memory: anything but a variable (or a part of one) left off the arena."""
        variable = self.referenced_variable(expr)
        return variable is None or variable["id"] in self.in_arena

    def copy_records(self):
        """A struct or union copied from or to arena memory is copied a byte at a time (dm_port_record_value,
        dm_port_store_record): clang 19 expands a struct copy into loads and stores without the arena cast the
        verifier needs ("invalid mem access 'scalar'")."""
        for decl in self.main_decls:
            for node, _ in walk(decl):
                if not node.get("inner") or not self.is_record(node):
                    continue
                if node.get("kind") == "ImplicitCastExpr" and node.get("castKind") == "LValueToRValue":
                    target = node["inner"][0]
                    begin, end = start_offset(target["range"]["begin"]), end_offset(target["range"]["end"])
                    if begin is not None and self.may_be_in_arena(target):
                        self.src.insert(begin, "dm_port_record_value(")
                        self.src.insert(end, ")")
                elif node.get("kind") == "BinaryOperator" and node.get("opcode") == "=" and \
                        self.may_be_in_arena(node["inner"][0]):
                    target, value = node["inner"]
                    begin, value_begin = start_offset(target["range"]["begin"]), start_offset(value["range"]["begin"])
                    if begin is None or value_begin is None:
                        continue
                    equals = self.src.text.rfind("=", end_offset(target["range"]["end"]), value_begin)
                    self.src.blank(equals)
                    self.src.insert(begin, "dm_port_store_record(")
                    self.src.insert(equals, ",")
                    self.src.insert(end_offset(value["range"]["end"]), ")")

    def intern_literals(self):
        for decl in self.main_decls:
            for node, parent in walk(decl):
                if node.get("kind") != "StringLiteral":
                    continue
                if not self.is_decayed(parent):
                    continue  # a char array's initialiser stays an array, sizeof("...") a size
                begin, end = offset(node["range"]["begin"]), node["range"]["end"]
                if begin is None or offset(end) is None:
                    continue
                self.src.insert(begin, "dm_port_literal(")
                self.src.insert(end_offset(end), ")")

    def is_number(self, decl):
        """A local variable or parameter that holds a number (not a pointer, array, struct or union; not static)."""
        kind = decl.get("type", {})
        qual = kind.get("desugaredQualType", kind.get("qualType", ""))  # a typedef's own type
        qual = self.typedefs.get(qual.replace("const ", ""), qual)  # an unnamed struct's typedef has none
        return decl.get("kind") in ("VarDecl", "ParmVarDecl") and "*" not in qual and "[" not in qual and \
            not qual.startswith(("struct", "union")) and decl.get("storageClass") != "static"

    def bound_loops(self):
        for decl in self.main_decls:
            for node, _ in walk(decl):
                kind = node.get("kind")
                if kind not in ("ForStmt", "WhileStmt", "DoStmt"):
                    continue
                line = self.line(node)
                guard = "dm_port_more(%d)" % line
                inner = node.get("inner", [])
                cond = {"ForStmt": 2, "WhileStmt": 0, "DoStmt": 1}[kind]
                cond = inner[cond] if len(inner) > cond else {}
                if cond.get("range") and start_offset(cond["range"]["begin"]) is not None:
                    self.src.insert(start_offset(cond["range"]["begin"]), "(")
                    self.src.insert(end_offset(cond["range"]["end"]), ") && " + guard)
                elif kind == "ForStmt":  # for (init; ; inc): the guard goes between the semicolons
                    first = self.first_semicolon(node["range"]["begin"]["offset"])
                    self.src.insert(first + 1, " " + guard)

    def bound_gotos(self):
        """A goto back to a label above it makes a loop: `{ if (dm_port_more(LINE)) goto L; }`, bounded as the
        loops are (the braces keep an `else` after it with its own `if`)."""
        labels = {}
        for decl in self.main_decls:
            for node, _ in walk(decl):
                if node.get("kind") == "LabelStmt":
                    labels[node.get("declId")] = start_offset(node["range"]["begin"])
        for decl in self.main_decls:
            for node, _ in walk(decl):
                if node.get("kind") != "GotoStmt":
                    continue
                begin, label = start_offset(node["range"]["begin"]), labels.get(node.get("targetLabelDeclId"))
                if begin is None or label is None or label > begin:
                    continue
                semicolon = self.src.text.find(";", end_offset(node["range"]["end"]))
                self.src.insert(begin, "{ if (dm_port_more(%d)) " % self.line(node))
                self.src.insert(semicolon + 1, " }")

    def first_semicolon(self, start):
        text, depth, i = self.src.text, 0, self.src.text.find("(", start)
        while i < len(text):
            c = text[i]
            depth += c == "("
            depth -= c == ")"
            if c == ";" and depth == 1:
                return i
            i += 1
        raise Unsupported(self.src.line_of(start), "a for loop this port cannot read")

    def bound_indexes(self):
        for decl in self.main_decls:
            for node, _ in walk(decl):
                if node.get("kind") != "ArraySubscriptExpr":
                    continue
                base, index = node["inner"]
                if base.get("kind") != "ImplicitCastExpr" or base.get("castKind") != "ArrayToPointerDecay":
                    continue
                if self.referenced_variable(base["inner"][0]) is None:
                    continue  # an array inside heap memory: the arena needs no proof
                length = re.search(r"\[(\d+)\]", base["inner"][0].get("type", {}).get("qualType", ""))
                begin = start_offset(index["range"]["begin"])
                if not length or begin is None:
                    continue
                self.src.insert(begin, "dm_port_index(")
                self.src.insert(end_offset(index["range"]["end"]), ", %s, %d)" % (length.group(1), self.line(node)))

    def opaque_constants(self):
        """A constant stored in a local number, `int depth = 0`, becomes dm_port_opaque(0): the same number, which the
        verifier cannot see. A loop that counts from a constant it can see is followed count by count and never
        found to repeat (may_goto compares ranges); from an unknown start, one pass shows the loop."""
        def constants(expr):
            kind = expr.get("kind")
            if kind in ("IntegerLiteral", "CharacterLiteral"):
                yield expr
            elif kind in ("ParenExpr", "ImplicitCastExpr", "CStyleCastExpr", "UnaryOperator"):
                if kind != "UnaryOperator" or expr.get("opcode") == "-":
                    for child in expr.get("inner", [])[:1]:
                        yield from constants(child)
            elif kind == "ConditionalOperator":
                for child in expr.get("inner", [])[1:]:
                    yield from constants(child)

        def is_local_number(decl):
            return decl.get("kind") == "VarDecl" and self.is_number(decl)

        for decl in self.main_decls:
            if decl.get("kind") != "FunctionDecl":
                continue
            for node, parent in walk(decl):
                value = None
                if node.get("kind") == "VarDecl" and node.get("init") and is_local_number(node):
                    value = node.get("inner", [None])[0]
                elif node.get("kind") == "BinaryOperator" and node.get("opcode") == "=":
                    target = node["inner"][0]
                    while target.get("kind") in ("ParenExpr", "ImplicitCastExpr"):
                        target = target["inner"][0]
                    referenced = self.nodes.get(target.get("referencedDecl", {}).get("id"), {})
                    if target.get("kind") == "DeclRefExpr" and is_local_number(referenced):
                        value = node["inner"][1]
                for literal in constants(value) if value else ():
                    begin = offset(literal["range"]["begin"])
                    if begin is not None:
                        self.src.insert(begin, "dm_port_opaque(")
                        self.src.insert(end_offset(literal["range"]["end"]), ")")

    def make_global(self, function, at):
        """A global BPF subprogram: the verifier checks it once, whatever calls it, with its arguments unknown
        (a static one is checked again in every calling context). `static` and `inline` (which in C99 would leave
        no definition) become spaces; `noinline` keeps clang from folding it into its callers, and `weak` from
        passing `poison` for the parameters the function ignores (the verifier refuses an uninitialised register
        as a global function's argument: "R4 is not a scalar"); every pointer parameter is an arena pointer
        (__arg_arena)."""
        name_at = offset(function.get("loc"))
        for word in re.finditer(r"\b(static|inline|__inline__|__inline)\b", self.src.text[at:name_at]):
            self.src.blank(at + word.start(), at + word.end())
        self.src.insert(at, "/*@noinline*/")
        for parameter in function.get("inner", []):
            named_at = offset(parameter.get("loc")) if parameter.get("kind") == "ParmVarDecl" else None
            kind = parameter.get("type", {})
            pointer = kind.get("desugaredQualType", kind.get("qualType", ""))
            if named_at is not None and parameter.get("name") and "*" in pointer and \
                    not FUNCTION_POINTER.match(pointer):
                self.src.insert(named_at + len(parameter["name"]), "/*@arg_arena*/")

    def can_be_global(self, function):
        """A global function takes scalars or (arena) pointers and returns a scalar: not a pointer, and on this
        kernel (6.18) not void either ("Global function ... doesn't return scalar")."""
        returned = function.get("type", {}).get("qualType", "").split("(")[0].strip()
        returned = self.typedefs.get(returned.replace("const ", ""), returned)
        return function.get("name") not in self.by_value | self.always_inline and "*" not in returned and \
            returned != "void" and offset(function.get("loc")) is not None and not function.get("variadic")

    def make_static(self):
        for decl in self.main_decls:
            at = offset(decl["range"]["begin"]) if decl.get("kind") == "FunctionDecl" else None
            if decl.get("name", "").startswith("dm_port_"):  # the runtime's, declared by recursion_as_loops
                continue
            if at is not None and decl.get("name") != "main" and self.can_be_global(decl):
                self.make_global(decl, at)
            elif at is not None and decl.get("name") != "main" and decl.get("storageClass") != "static":
                self.src.insert(at, "static ")
            if at is not None and decl.get("name") in self.by_value:
                # the BPF backend cannot pass a struct to a call, nor return one: inlined, there is no call
                self.src.insert(at, "__attribute__((always_inline)) ")
            for node, parent in walk(decl):
                if node.get("kind") != "VarDecl":
                    continue
                if node.get("storageClass") == "static":
                    self.keep_whole(node)
                if parent is None or parent.get("kind") != "DeclStmt":
                    continue
                size = self.array_bytes(node.get("type", {}).get("qualType", ""))
                if size <= STATIC_FROM or node.get("storageClass") == "static" or node["id"] in self.in_arena:
                    continue
                if node.get("init") and size <= INITIALISED_LIMIT:
                    continue
                if len(parent.get("inner", [])) > 1 and node["id"] not in self.declaration_start:
                    raise Unsupported(self.line(node), "local array '%s' of %d bytes declared with other variables: "
                                      "it moves to static storage (the BPF stack holds 512 bytes); declare it on "
                                      "its own" % (node["name"], size))
                self.src.insert(self.declaration_start.get(node["id"], node["range"]["begin"]["offset"]), "static ")
                element = node.get("type", {}).get("qualType", "").split("[")[0]
                read_only = re.search(r"\bconst\s*$", element) or ("*" not in element and element.startswith("const "))
                if node.get("init") and read_only and not self.is_constant(node["inner"][-1]):
                    self.drop_const(node)  # its initialiser has addresses: assigned by parts, it cannot be const
                    read_only = False
                if node.get("init") and not read_only:  # a const one with a constant initialiser cannot have changed
                    self.initialise_aggregate(node)

    def keep_whole(self, variable):
        """A static variable gets __attribute__((used)): else clang may split a struct or array of which the
        program uses some parts into one variable per part (global SRA), while its BTF keeps the whole type, which
        the kernel then refuses ("Invalid size"); libbpf loads the program without BTF, and the heap's bpf_loop
        callback is rejected: "missing btf func_info"."""
        begin = offset(variable["range"]["begin"])
        if begin is not None and begin not in self.kept_whole:
            self.kept_whole.add(begin)
            self.src.insert(begin, "__attribute__((used)) ")

    @staticmethod
    def array_bytes(qual):
        m = re.match(r"(.*?)\s*((?:\[\d+\])+)$", qual)
        if not m:
            return 0
        element = 8 if "*" in m.group(1) or re.search(r"\b(long|size_t|int64_t|uint64_t)\b", m.group(1)) else \
            1 if re.search(r"\bchar\b|int8_t|bool", m.group(1)) else 2 if "short" in m.group(1) else 4
        if m.group(1).startswith("struct"):
            element = 16  # an estimate: a struct of two words
        count = 1
        for n in re.findall(r"\d+", m.group(2)):
            count *= int(n)
        return count * element


def check_allocations(path):
    """modify.sh's report of allocations used without a NULL check: {line}."""
    run = subprocess.run([MODIFY, "--dry-run", path], capture_output=True, text=True)
    return {int(m.group(1)) for m in re.finditer(r":(\d+): warning: the result of \w+ is used without a NULL check",
                                                  run.stderr)}


def wrap_unchecked(text, lines):
    """dm_port_checked(static_malloc(...), 1, LINE) around each allocation on the given lines ({line in the text:
    line in the program})."""
    out = text.split("\n")
    for line, program_line in lines.items():
        row = out[line - 1]
        for m in reversed(list(re.finditer(r"\b(static_malloc|static_calloc|static_realloc)\s*\(", row))):
            depth, end = 0, None
            for i in range(m.end() - 1, len(row)):
                depth += row[i] == "("
                depth -= row[i] == ")"
                if depth == 0:
                    end = i
                    break
            if end is None:
                continue
            row = row[:m.start()] + "dm_port_checked(" + row[m.start():end + 1] + ", %d, %d)" % (
                ALLOCATORS[m.group(1)], program_line) + row[end + 1:]
        out[line - 1] = row
    return "\n".join(out)


class RecursiveGroup:
    """Functions that call each other (a cycle of the call graph: f -> g -> f), merged (Porter.merge_recursive_groups)
    into one function that calls itself, which RecursiveFunction then runs on a stack of frames:
      - the members' definitions stand one after another (only their own prototypes between them, which go); the
        first one's header becomes the merged function's, `dm_rec_group_F(int dm_rec_which, PARAMETERS) { switch
        (dm_rec_which) { case 0:`, each next one's `case K:`, so that every body stays on its own lines; a body that
        ends without returning returns (0), rather than running into the next;
      - PARAMETERS are the members' parameters: those every member starts with (same names, same types) once, the
        others renamed NAME__MEMBER; a local declared in two members, or named as a shared parameter, is renamed
        the same way;
      - a call of a member inside the group calls the merged function with that member's number, its arguments in
        that member's places and 0 in the others';
      - each member is defined again after the group as a call of it (and declared before it), inlined where it is
        called (a call more would deepen the BPF call stack): calls from elsewhere and pointers to the members stay
        as they were.
    Refused: members returning different types or a function pointer, taking a struct by value or a variable number
    of arguments, main in the group, a label in two members, a definition between them, a renamed name written by a
    macro."""

    def __init__(self, porter, members):
        self.p, self.members = porter, members  # in the program's order
        self.name = "dm_rec_group_%s" % members[0]["name"]
        self.bodies = [next(n for n in m["inner"] if n.get("kind") == "CompoundStmt") for m in members]
        self.parameters = [[n for n in m.get("inner", []) if n.get("kind") == "ParmVarDecl"] for m in members]
        self.returned = members[0].get("type", {}).get("qualType", "").split("(")[0].strip()
        self.cycle = " -> ".join([m["name"] for m in members] + [members[0]["name"]])

    def refuse(self, node, what):
        raise Unsupported(self.p.line(node), "%s, in functions that call each other (%s)" % (what, self.cycle))

    def check(self):
        for member, parameters in zip(self.members, self.parameters):
            qual = member.get("type", {}).get("qualType", "")
            returned = "a function pointer" if ")(" in qual else qual.split("(")[0].strip()
            if member["name"] == "main":
                self.refuse(member, "main")
            if offset(member["range"]["begin"]) is None:
                self.refuse(member, "a definition written by a macro ('%s')" % member["name"])
            if returned != self.returned:
                self.refuse(member, "'%s' returning %s" % (member["name"], returned))
            if member.get("variadic"):
                self.refuse(member, "a variable number of arguments ('%s')" % member["name"])
            for parameter in parameters:
                if not parameter.get("name") or offset(parameter.get("loc")) is None:
                    self.refuse(parameter, "a parameter unnamed or declared through a macro ('%s')" % member["name"])
                if self.p.is_record(parameter):
                    self.refuse(parameter, "a struct passed by value ('%s')" % parameter["name"])
        labels = {}
        for member, body in zip(self.members, self.bodies):
            for node, _ in walk(body):
                if node.get("kind") == "LabelStmt" and labels.setdefault(node.get("name"), member) is not member:
                    self.refuse(node, "the label '%s' in two of them (rename one)" % node["name"])
        first, last = offset(self.members[0]["range"]["begin"]), end_offset(self.members[-1]["range"]["end"])
        names = {m["name"] for m in self.members}
        for decl in self.p.main_decls:
            at = offset(decl.get("range", {}).get("begin"))
            if at is None or not first < at < last or any(decl is m for m in self.members):
                continue
            if decl.get("kind") != "FunctionDecl" or decl.get("name") not in names:
                self.refuse(decl, "'%s' defined between them (define them one after another)" % decl.get("name", ""))
            self.p.src.blank(at, self.p.src.text.index(";", end_offset(decl["range"]["end"])) + 1)

    def shared(self):
        """How many parameters the members share: those they all start with, same names and types."""
        def key(p):
            return p["name"], p.get("type", {}).get("qualType")
        count = 0
        while all(len(ps) > count and key(ps[count]) == key(self.parameters[0][count]) for ps in self.parameters):
            count += 1
        return count

    def text(self, node):
        return self.p.src.text[start_offset(node["range"]["begin"]):end_offset(node["range"]["end"])]

    def merge(self):
        self.check()
        shared = self.shared()
        renamed = {}  # id of a parameter or local: the member it is renamed after
        group = [self.text(p).replace("\n", " ") for p in self.parameters[0][:shared]]  # the merged function's
        places = []  # per member: where each of its parameters goes in the merged function's
        for member, parameters in zip(self.members, self.parameters):
            places.append(list(range(shared)))
            for parameter in parameters[shared:]:
                renamed[parameter["id"]] = member["name"]
                text, at = self.text(parameter), offset(parameter["loc"]) - start_offset(parameter["range"]["begin"])
                at += len(parameter["name"])
                places[-1].append(len(group))
                group.append((text[:at] + "__" + member["name"] + text[at:]).replace("\n", " "))
        declared = {}
        for member, body in zip(self.members, self.bodies):
            for node, _ in walk(body):
                if node.get("kind") == "VarDecl" and node.get("storageClass") != "static":
                    declared.setdefault(node["name"], []).append((node, member["name"]))
        shared_names = {p["name"] for p in self.parameters[0][:shared]}
        for name, variables in declared.items():
            if len({member for _, member in variables}) > 1 or name in shared_names:
                renamed.update((v["id"], member) for v, member in variables)
        numbers = {m["name"]: k for k, m in enumerate(self.members)}
        calls = [(n, numbers[self.p.called_function(n)]) for body in self.bodies for n, _ in walk(body)
                 if self.p.called_function(n) in numbers]
        for call, number in reversed(calls):  # inner calls first: what an outer call inserts at one place goes first
            self.call(call, number, places[number], len(group))
        for body in self.bodies:  # after the calls: a name ends where an argument ends, before what follows it
            for node, _ in walk(body):
                kind = node.get("kind")
                target = node.get("referencedDecl", {}).get("id") if kind == "DeclRefExpr" else node.get("id")
                if kind not in ("DeclRefExpr", "VarDecl") or target not in renamed:
                    continue
                at = offset(node.get("loc") if kind == "VarDecl" else node["range"]["begin"])
                if at is None:
                    self.refuse(node, "'%s' written by a macro" % self.p.nodes[target]["name"])
                self.p.src.insert(at + len(self.p.nodes[target]["name"]), "__" + renamed[target])
        self.headers(group, places)

    def call(self, call, number, places, count):
        """A member's call becomes the merged function's: its number first, its arguments in its places."""
        name = self.p.function_named(call)
        at = offset(name["range"]["begin"])
        arguments = call["inner"][1:]
        if at is None or any(start_offset(a["range"]["begin"]) is None for a in arguments):
            self.refuse(call, "a call of '%s' written by a macro" % name["referencedDecl"]["name"])
        self.p.src.blank(at, at + len(name["referencedDecl"]["name"]))
        self.p.src.insert(at, self.name)
        if not arguments:
            self.p.src.insert(self.p.src.text.index("(", at + len(name["referencedDecl"]["name"])) + 1,
                              ", ".join([str(number)] + ["0"] * count))
            return
        filled = 0
        for index, (argument, place) in enumerate(zip(arguments, places)):
            self.p.src.insert(start_offset(argument["range"]["begin"]),
                              ("" if index else "%d, " % number) + "0, " * (place - filled))
            filled = place + 1
        self.p.src.insert(end_offset(arguments[-1]["range"]["end"]), ", 0" * (count - filled))

    def headers(self, group, places):
        nothing = "return;" if self.returned == "void" else "return 0;"
        declarations = []
        for number, (member, body) in enumerate(zip(self.members, self.bodies)):
            begin, end = offset(member["range"]["begin"]), start_offset(body["range"]["begin"])
            declarations.append(self.p.src.text[begin:end].replace("\n", " ").strip())
            self.p.src.blank(begin, end)
            self.p.src.insert(begin, "case %d: " % number)
            if number + 1 < len(self.members):
                self.p.src.insert(end_offset(body["range"]["end"]), " " + nothing)
        calls = []
        for number, (declaration, parameters) in enumerate(zip(declarations, self.parameters)):
            values = ["0"] * len(group)
            for parameter, place in zip(parameters, places[number]):
                values[place] = parameter["name"]
            calls.append("__attribute__((always_inline)) %s { %s%s(%s); }" % (
                declaration, "" if self.returned == "void" else "return ", self.name, ", ".join([str(number)] + values)))
        self.p.src.insert(offset(self.members[0]["range"]["begin"]), "%s %s %s(%s) { switch (dm_rec_which) { " % (
            " ".join(d + ";" for d in declarations), self.returned, self.name, ", ".join(["int dm_rec_which"] + group)))
        self.p.src.insert(end_offset(self.bodies[-1]["range"]["end"]), " %s } } %s" % (nothing, " ".join(calls)))


class RecursiveFunction:
    """One function of the program that calls itself, rewritten (Porter.recursion_as_loops) as a loop over a stack of
    its frames on the heap:
      - its prologue declares a frame (its parameters and locals, the results of its recursive calls, where to
        resume), the stack (grown by dm_port_frames, which ends the program with `recursion deeper than the heap
        allows` when the heap cannot), and the label the function starts again at;
      - a recursive call is taken out of its statement, in the order the statement evaluates it: its arguments are
        evaluated, the variables in scope saved in a new frame, the parameters set, and the function starts again;
        at its return the frame is popped, those variables are restored and the call's result (dm_rec_tK) stands
        where the call was. A call after `&&`, `||` or `?` runs only where it did: the operator becomes an `if`;
      - `return x;` keeps x and goes to the epilogue, which returns when no frame is left, else pops one and resumes
        where it was made (a switch over the call sites);
      - a local whose address is taken lives in its activation's own block on the heap (dm_rec_home), which never
        moves while a pointer to it may be held.
    Refused where the order would change (a call in a loop's condition or step) and what a frame cannot hold
    (arrays and function pointers not homed, const variables, a name declared twice)."""

    def __init__(self, porter, function, body):
        self.p, self.function, self.body, self.name = porter, function, body, function["name"]
        self.returned = function.get("type", {}).get("qualType", "").split("(")[0].strip()
        self.void = self.returned == "void"
        self.parameters = [n for n in function.get("inner", []) if n.get("kind") == "ParmVarDecl"]
        self.temps = []  # (name, type) of the values kept across calls: call results, conditionals holding calls
        self.sites = 0
        self.kept = []  # the variables saved and restored around the calls of the statement being rewritten
        self.homed = {}  # id: a local whose address is taken
        self.rendered = []  # (begin, end): what the rewriting blanks and renders itself (homed names in it too)

    def refuse(self, node, what):
        raise Unsupported(self.p.line(node), "%s in the recursive function %s" % (what, self.name))

    def is_call(self, node):
        return self.p.called_function(node) == self.name

    def holds_call(self, node):
        return any(self.is_call(n) for n, _ in walk(node))

    def is_special(self, node):
        """A node rendered differently: a recursive call, an operator that may skip one, a homed variable's name."""
        kind = node.get("kind")
        return self.is_call(node) or \
            (kind == "ConditionalOperator" or kind == "BinaryOperator" and node.get("opcode") in ("&&", "||")) and \
            any(self.holds_call(c) for c in node["inner"][1:]) or \
            kind == "DeclRefExpr" and node.get("referencedDecl", {}).get("id") in self.homed

    def specials(self, node, names=True):
        """The outermost special nodes of a subtree, in document order (the node itself when it is one). Without
        names: only those that hold recursive calls (a statement's homed names outside them stay in place)."""
        if self.is_special(node) and (names or node.get("kind") != "DeclRefExpr"):
            return [node]
        return [found for child in node.get("inner", []) for found in self.specials(child, names)]

    def span(self, node):
        return start_offset(node["range"]["begin"]), end_offset(node["range"]["end"])

    def render(self, node, out):
        """An expression's text with its special nodes replaced; what must run before it is appended to out."""
        if self.is_special(node):
            return self.replace(node, out)
        begin, end = self.span(node)
        text, at = "", begin
        for special in self.specials(node):
            inner_begin, inner_end = self.span(special)
            text += self.p.src.text[at:inner_begin] + self.replace(special, out)
            at = inner_end
        return (text + self.p.src.text[at:end]).replace("\n", " ")

    def temp(self, kind):
        name = "dm_rec_t%d" % (len(self.temps) + 1)
        self.temps.append((name, kind))
        return name

    def replace(self, node, out):
        kind = node.get("kind")
        if kind == "DeclRefExpr":
            return "dm_rec_home->%s" % node["referencedDecl"]["name"]
        if kind == "BinaryOperator":
            condition = self.render(node["inner"][0], out)
            then = []
            value = self.render(node["inner"][1], then)
            result = self.temp("int")
            out.append("%s = %d; if (%s(%s)) { %s%s = !!(%s); } " % (
                result, node["opcode"] == "||", "!" if node["opcode"] == "||" else "", condition, "".join(then),
                result, value))
            return result
        if kind == "ConditionalOperator":
            condition = self.render(node["inner"][0], out)
            branches = [[], []]
            values = [self.render(node["inner"][i + 1], branches[i]) for i in (0, 1)]
            result = self.temp(node.get("type", {}).get("qualType", "int"))
            out.append("if (%s) { %s%s = (%s); } else { %s%s = (%s); } " % (
                condition, "".join(branches[0]), result, values[0], "".join(branches[1]), result, values[1]))
            return result
        arguments = [self.render(argument, out) for argument in node.get("inner", [])[1:]]
        self.sites += 1
        frame = "dm_rec_stack[dm_rec_depth]"
        kept = self.kept + [name for name, _ in self.temps]
        code = "".join("dm_rec_a%d = (%s); " % (i, a) for i, a in enumerate(arguments))
        code += ("dm_rec_stack = (struct dm_rec_frame_%s *)dm_port_frames((unsigned long long)dm_rec_stack, "
                 "dm_rec_depth, sizeof(*dm_rec_stack), %d); " % (self.name, self.p.line(node)))
        code += "".join("%s.%s = %s; " % (frame, v, v) for v in kept)
        code += "%s.dm_rec_at = %d; dm_rec_depth = dm_port_unknown(dm_rec_depth + 1); " % (frame, self.sites)
        code += "".join("%s = dm_rec_a%d; " % (p["name"], i) for i, p in enumerate(self.parameters))
        code += "goto dm_rec_entry; dm_rec_resume_%d: " % self.sites
        code += "".join("%s = %s.%s; " % (v, frame, v) for v in kept)
        out.append(code)
        if self.void:
            return "0"
        result = self.temp(self.returned)
        # unknown, as the parameters are at each call: clang turns `return 1 + f(n - 1);` into a counter that the
        # verifier would follow return by return
        real = self.p.typedefs.get(self.returned, self.returned)
        if "*" in real:
            out.append("%s = (%s)dm_port_unknown((unsigned long long)dm_rec_value); " % (result, self.returned))
        elif not real.startswith(("struct", "union")):
            out.append("%s = dm_port_unknown(dm_rec_value); " % result)
        else:
            out.append("%s = dm_rec_value; " % result)
        return result

    def field(self, variable, homed=False):
        """A variable as a field of the frame (or of the home), or a refusal naming what a frame cannot hold."""
        if variable.get("kind") == "ParmVarDecl":  # its own type, which the rest of the port may change
            return "__typeof__(%s) %s;" % (variable["name"], variable["name"])
        kind = variable.get("type", {})
        qual = kind.get("qualType", "")
        real = self.p.typedefs.get(qual, kind.get("desugaredQualType", qual))
        array = re.match(r"(.*?)\s*(\[.*\])$", qual)
        if array and homed:
            return "%s %s%s;" % (array.group(1), variable["name"], array.group(2))
        if "[" in real:
            self.refuse(variable, "an array ('%s') whose address is never taken" % variable["name"])
        if "(" in real:
            self.refuse(variable, "a local function pointer ('%s')" % variable["name"])
        if re.match(r"const\b", real) and "*" not in real or re.search(r"\*\s*const\s*$", real):
            self.refuse(variable, "a const variable ('%s')" % variable["name"])
        if "unnamed" in real or "anonymous" in real:
            self.refuse(variable, "a variable of an unnamed type ('%s')" % variable["name"])
        return "%s %s;" % (qual, variable["name"])

    def statement(self, call):
        """The statement a recursive call runs before, and the part of it that holds the call."""
        node = call
        while True:
            parent = node["_parent"]
            kind, children = parent.get("kind"), parent.get("inner", [])
            if kind in ("CompoundStmt", "CaseStmt", "DefaultStmt", "LabelStmt"):
                return node, node
            if kind in ("IfStmt", "SwitchStmt", "ReturnStmt", "DeclStmt"):
                return (parent, node) if kind != "IfStmt" and kind != "SwitchStmt" or node is children[0] else \
                    (node, node)
            if kind in ("WhileStmt", "DoStmt", "ForStmt"):
                if node is children[0 if kind == "DoStmt" else -1]:  # the body
                    return node, node
                if kind == "ForStmt" and node is children[0] and node.get("kind") == "DeclStmt":
                    return parent, node
                self.refuse(call, "a recursive call in a loop's condition or step (call it in the loop's body)")
            if kind in ("BinaryConditionalOperator", "UnaryExprOrTypeTraitExpr", "StmtExpr"):
                self.refuse(call, "a recursive call inside '?:' without a middle, sizeof or a statement expression")
            node = parent

    def in_scope(self, statement):
        """The parameters and local variables (not static, not homed) declared before a statement."""
        found, node = list(self.parameters), statement
        while node is not self.body:
            parent = node["_parent"]
            for child in parent.get("inner", []):
                if child is node:
                    break
                if child.get("kind") == "DeclStmt" and parent.get("kind") in ("CompoundStmt", "ForStmt"):
                    found += [v for v in child.get("inner", []) if v.get("kind") == "VarDecl" and
                              v.get("storageClass") != "static" and v["id"] not in self.homed]
            node = parent
        return found

    def home(self, locals_):
        """The locals whose address is taken move to dm_rec_home: their declarations become assignments."""
        for node, parent in walk(self.body):
            target = self.p.pointed_variable(node, parent)
            if target is not None and target.get("id") in {p["id"] for p in self.parameters}:
                self.refuse(node, "the address of the parameter '%s' (copy it to a local)" % target.get("name"))
            if target is not None and any(v["id"] == target.get("id") for v in locals_):
                self.homed[target["id"]] = self.p.nodes.get(target["id"], target)
        for node, _ in walk(self.body):
            if node.get("kind") != "DeclStmt" or not any(v.get("id") in self.homed for v in node.get("inner", [])):
                continue
            if node["_parent"].get("kind") != "CompoundStmt" or not all(v.get("id") in self.homed
                                                                       for v in node["inner"]):
                self.refuse(node, "a variable whose address is taken declared with others whose is not, or in a "
                                  "for (declare it in a declaration of its own)")
            assignments = []
            for variable in node["inner"]:
                init = variable.get("inner", [None])[0] if variable.get("init") else None
                if init is not None and (init.get("kind") == "InitListExpr" or self.holds_call(init)):
                    self.refuse(variable, "an initialiser list or a recursive call initialising '%s', whose address "
                                          "is taken (assign it after the declaration)" % variable["name"])
                if init is not None:
                    assignments.append("dm_rec_home->%s = (%s);" % (variable["name"], self.render(init, [])))
            begin, end = start_offset(node["range"]["begin"]), self.p.statement_end(node)
            self.rendered.append((begin, end))
            self.p.src.blank(begin, end)
            self.p.src.insert(begin, " ".join(assignments))
        for node, _ in walk(self.body):  # a homed variable's name, outside the statements rewritten below
            if node.get("kind") == "DeclRefExpr" and node.get("referencedDecl", {}).get("id") in self.homed and \
                    not any(begin <= start_offset(node["range"]["begin"]) < end for begin, end in self.rendered):
                self.p.src.insert(start_offset(node["range"]["begin"]), "dm_rec_home->")

    def rewrite(self):
        calls = [n for n, _ in walk(self.body) if self.is_call(n)]
        if not calls:
            return False
        locals_ = [n for n, _ in walk(self.body) if n.get("kind") == "VarDecl" and n.get("storageClass") != "static"]
        names = set()
        for variable in self.parameters + locals_:
            if not variable.get("name") or variable["name"] in names:
                self.refuse(variable, "the name '%s' declared twice (rename one)" % variable.get("name"))
            names.add(variable["name"])
        by_statement = {}  # id: (statement, [the parts of it holding calls])
        for call in calls:
            statement, part = self.statement(call)
            parts = by_statement.setdefault(statement["id"], (statement, []))[1]
            if not any(p is part for p in parts):
                parts.append(part)
        self.rendered = [self.span(s) for _, parts in by_statement.values() for part in parts
                         for s in self.specials(part, names=False)]
        self.home(locals_)
        for statement, parts in by_statement.values():
            self.kept = [v["name"] for v in self.in_scope(statement)] + (["dm_rec_home"] if self.homed else [])
            braces = statement["_parent"].get("kind") != "CompoundStmt"
            before = []
            for part in parts:
                for special in self.specials(part, names=False):
                    begin, end = self.span(special)
                    replacement = self.replace(special, before)
                    self.p.src.blank(begin, end)
                    self.p.src.insert(begin, replacement)
            self.p.src.insert(start_offset(statement["range"]["begin"]), ("{ " if braces else "") + "".join(before))
            if braces:
                self.p.src.insert(self.p.statement_end(statement), " }")
        self.returns()
        self.frame(locals_)
        return True

    def returns(self):
        for node, _ in walk(self.body):
            if node.get("kind") != "ReturnStmt":
                continue
            begin = start_offset(node["range"]["begin"])
            self.p.src.blank(begin, begin + len("return"))
            semicolon = self.p.statement_end(node)
            if node.get("inner"):  # a void function may return a void call's "value"
                self.p.src.insert(begin + len("return"), "{ (void)(" if self.void else "{ dm_rec_value = (")
                self.p.src.insert(semicolon - 1, ")")
                self.p.src.insert(semicolon, " goto dm_rec_return; }")
            else:
                self.p.src.insert(begin + len("return"), "goto dm_rec_return")

    def frame(self, locals_):
        """The prologue (frame, stack, home, temporaries, the label the function starts again at), the epilogue,
        and the runtime's helpers declared before the function."""
        home = self.homed and "dm_rec_home"
        fields = [self.field(v) for v in self.parameters + locals_ if v["id"] not in self.homed]
        fields += ["%s %s;" % (kind, name) for name, kind in self.temps]
        prologue = ""
        if home:
            prologue += "struct dm_rec_home_%s { %s }; struct dm_rec_home_%s *dm_rec_home = 0; " % (
                self.name, " ".join(self.field(v, homed=True) for v in self.homed.values()), self.name)
            fields.append("struct dm_rec_home_%s *dm_rec_home;" % self.name)
        prologue += "struct dm_rec_frame_%s { %s int dm_rec_at; }; struct dm_rec_frame_%s *dm_rec_stack = 0; " \
            "unsigned long long dm_rec_depth = 0; " % (self.name, " ".join(fields), self.name)
        prologue += "".join("__typeof__(%s) dm_rec_a%d; " % (p["name"], i) for i, p in enumerate(self.parameters))
        # every temporary is saved at every call: none may be uninitialised (the verifier refuses to copy one)
        prologue += "".join("%s %s = {0}; " % (kind, name) for name, kind in self.temps)
        if not self.void:
            prologue += "%s dm_rec_value = {0}; " % self.returned
        prologue += "dm_rec_entry: ; "
        # numbers the verifier could bound would change at every call (n - 1, n / 2): no call would look like one
        # seen before, and it would follow the recursion call by call
        prologue += "".join("%s = dm_port_unknown(%s); " % (p["name"], p["name"]) for p in self.parameters
                            if self.p.is_number(p))
        if home:
            prologue += "dm_rec_home = (struct dm_rec_home_%s *)dm_port_home(sizeof(*dm_rec_home), %d); " % (
                self.name, self.p.line(self.function))
        self.p.src.insert(start_offset(self.body["range"]["begin"]) + 1, " " + prologue)
        for variable in locals_:  # saved before they may be set: `int freed;`
            if variable["id"] not in self.homed and not variable.get("init") and offset(variable.get("loc")):
                self.p.src.insert(offset(variable["loc"]) + len(variable["name"]), " = {0}")
        value = "" if self.void else " dm_rec_value"
        epilogue = "dm_rec_return: %sif (!dm_rec_depth) { dm_port_frames_free((unsigned long long)dm_rec_stack); " \
            "return%s; } dm_rec_depth = dm_port_unknown(dm_rec_depth - 1); switch (dm_rec_stack[dm_rec_depth]." \
            "dm_rec_at) { %s } return%s; " % (
                "dm_port_frames_free((unsigned long long)dm_rec_home); " if home else "", value,
                " ".join("case %d: goto dm_rec_resume_%d;" % (k, k) for k in range(1, self.sites + 1)), value)
        self.p.src.insert(start_offset(self.body["range"]["end"]), epilogue)
        self.p.src.insert(start_offset(self.function["range"]["begin"]),
                          "unsigned long long dm_port_frames(unsigned long long stack, unsigned long long depth, "
                          "unsigned long long frame_bytes, int line); void dm_port_frames_free(unsigned long long "
                          "stack); unsigned long long dm_port_unknown(unsigned long long value); unsigned long long "
                          "dm_port_home(unsigned long long bytes, int line); ")


def compile_failure(log, program, dropped):
    """The first error of the BPF compile, said once; the stack limit said as what it is; an undeclared name
    perhaps from a system header the port left out."""
    for line in log.splitlines():
        m = re.match(r"(.*?):(\d+):\d+: error: (.*)", line)
        if not m:
            continue
        if "stack limit is exceeded" in m.group(3):
            print("%s:%s: construct not supported in BPF: the local variables of this function and of those "
                  "compiled into it exceed the BPF stack's 512 bytes; allocate the large ones"
                  % (program, m.group(2)), file=sys.stderr)
        elif dropped and re.search(r"undeclared|unknown type name", m.group(3)):
            print("%s:%s: construct not supported in BPF: %s: a name from a header outside dm port's libc (%s)?"
                  % (program, m.group(2), m.group(3), ", ".join("<%s>" % h for h in dropped)), file=sys.stderr)
        else:
            print("%s:%s: the ported program does not compile for BPF: %s (the ported source: --keep DIR)"
                  % (program, m.group(2), m.group(3)), file=sys.stderr)
        return 1
    sys.stderr.write(log)
    return 1


def port(args, work, step):
    """The port itself; `step` (a one-element list) names what it is doing, for an internal error's message."""
    name = os.path.basename(args.program)
    step[0] = "reading the program with clang"
    source = Source(args.program)
    porter = Porter(args.program, clang_ast(args.clang, args.program), source, args.clang)
    for step[0], edit, folder in (("merging functions that call each other", "merge_recursive_groups", "groups"),
                                  ("turning recursion into loops", "recursion_as_loops", "recursion")):
        if not getattr(porter, edit)():
            continue
        step[0] = "reading the program again with clang, after %s" % step[0]  # the rest reads the program as edited
        edited = os.path.join(work, folder, name)
        os.makedirs(os.path.dirname(edited))
        with open(edited, "w", encoding="utf-8") as f:
            f.write(source.result()[0])
        source = Source(edited)
        try:
            porter = Porter(args.program, clang_ast(args.clang, edited), source, args.clang)
        except Refused as refused:
            raise Refused(str(refused).replace(edited, args.program))
    porter.check_main(args.program)
    for step[0], edit in (("checking what BPF cannot run", porter.check),
                          ("unparenthesising function names", porter.plain_function_names),
                          ("splitting declarations", porter.split_declarations),
                          ("numbering functions used as pointers", porter.function_pointers),
                          ("putting main's arguments in the heap", porter.arguments_in_heap),
                          ("leaving out system headers", porter.drop_system_headers),
                          ("marking pointers __arena", porter.annotate_pointers),
                          ("moving variables whose address is taken to the arena", porter.arena_variables),
                          ("copying structs in and out of the arena", porter.copy_records),
                          ("copying string literals to the heap", porter.intern_literals),
                          ("initialising globals when the program starts", porter.initialise_at_start),
                          ("bounding loops", porter.bound_loops), ("bounding gotos", porter.bound_gotos),
                          ("bounding indexes", porter.bound_indexes), ("hiding constants", porter.opaque_constants),
                          ("making functions and large arrays static", porter.make_static)):
        edit()
    step[0] = "rewriting malloc & co (modify/modify.sh)"
    ported = os.path.join(work, name if name.endswith(".c") else name + ".c")  # modify.sh rewrites .c files only
    text, epilogue = source.result()
    dispatchers = porter.write_dispatchers()
    with open(ported, "w", encoding="utf-8") as f:
        f.write(text)
    unchecked = check_allocations(ported)  # lines of the file as modify.sh is about to write it
    rewrite = subprocess.run([MODIFY, ported], capture_output=True, text=True)
    if rewrite.returncode:  # its lines are the program's: the port inserts no line break
        sys.stderr.write(rewrite.stderr.replace(ported, args.program))
        raise Refused("dm port: %s: modify/modify.sh could not rewrite the program (Coccinelle cannot parse it)"
                      % args.program)
    with open(ported, encoding="utf-8") as f:
        text = f.read()
    for mark, meaning in MARKS.items():
        text = text.replace(mark, meaning)
    # modify.sh added one include line (if anything allocates): the lines after it are one further down
    lines = text.split("\n")
    if '#include "dynamic_memory.h"' in lines:
        added = lines.index('#include "dynamic_memory.h"') + 1
        lines = wrap_unchecked(text, {n: n - (n > added) for n in unchecked}).split("\n")
        lines.insert(added, '#line %d "%s"' % (added, name))
    # the runtime first, whatever the program includes; then the program's own line numbers
    lines[:0] = ['#include "dm_port_runtime.h"'] + porter.prologue + ['#line 1 "%s"' % name]
    # dm run names the program in its messages
    lines.append('const char dm_port_source[] SEC(".rodata.dm_port") = "%s";' % name.replace('"', ''))
    start = " ".join(epilogue)
    for mark, meaning in MARKS.items():
        start = start.replace(mark, meaning)
    lines.append("static __attribute__((noinline)) void dm_port_start(void) { %s }" % start)
    lines.extend(dispatchers)
    with open(ported, "w", encoding="utf-8") as f:
        f.write("\n".join(lines))
    step[0] = "compiling the ported program for BPF"
    multiarch = subprocess.run(["gcc", "-print-multiarch"], capture_output=True, text=True).stdout.strip()
    # v4 for signed division, which programs use everywhere; but no sign-extending loads (ldsx), which kernels
    # before 6.13 refuse from arena memory ("sign extending loads from arena are not supported yet"): clang then
    # loads and sign-extends with a move, as for v3
    command = [args.clang, "-O2", "-g", "-target", "bpf", "-mcpu=v4", "-mllvm", "-disable-ldsx", "-ffreestanding",
               "-nostdlibinc",
               "-isystem", INCLUDE, "-I", args.include_dir, "-idirafter", "/usr/include",
               "-idirafter", "/usr/include/" + multiarch, "-DDM_POOL_SIZE=%d" % args.pool,
               "-DDM_PORT_MAIN_ARGUMENTS=%d" % bool(porter.main_arguments), "-DDM_PORT_READS_INPUT=%d" % porter.reads_input,
               "-Wno-unused-value",
               "-Wno-int-conversion", "-Wno-pointer-integer-compare",  # a function pointer is a number: = NULL, == NULL
               "-c", "-x", "c", ported, "-o", args.output]
    run = subprocess.run(command, capture_output=True, text=True, cwd=work)
    if args.keep:
        os.makedirs(args.keep, exist_ok=True)
        shutil.copy(ported, args.keep)
    if run.returncode:
        return compile_failure(run.stderr, args.program, porter.dropped)
    print("dm port: %s -> %s: the arena heap (%d-byte pool), plain pointers" % (args.program, args.output, args.pool))
    return 0


def input_problem(path):
    """What is wrong with the program's file, or None."""
    if not os.path.exists(path):
        return "no such file"
    if os.path.isdir(path):
        return "a directory, expected a C file"
    if not os.access(path, os.R_OK):
        return "permission denied (cannot read it)"
    if os.path.getsize(path) == 0:
        return "empty, expected a C program"
    with open(path, "rb") as f:
        head = f.read(4096)
    if b"\0" in head or head.startswith(b"\x7fELF"):
        return "binary (%s), expected C source" % ("an ELF file" if head.startswith(b"\x7fELF") else "NUL bytes")
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as e:
        if e.start < len(head) - 3:  # not a character cut by the 4096-byte read
            return "not UTF-8 text (byte %d), expected C source" % e.start
    return None


def main():
    parser = argparse.ArgumentParser(prog="dm port", description="Port a plain C program that mallocs to a BPF "
                                     "object that `dm run` runs in the kernel (arena heap).")
    parser.add_argument("program", help="the C file (any name: it is read as C): int main(void) or main(argc, "
                        "argv), malloc & co, and README's libc subset")
    parser.add_argument("-o", dest="output", required=True, help="the BPF object to write")
    parser.add_argument("--pool", type=int, default=1 << 20, help="heap bytes, a power of two (default 1 MiB)")
    parser.add_argument("--keep", help="keep the ported C source in this directory")
    parser.add_argument("--clang", default="clang-19")
    parser.add_argument("--include-dir", default=os.path.dirname(HERE), help="where dynamic_memory.h is")
    args = parser.parse_args()
    args.output = os.path.abspath(args.output)  # the compiler runs in a scratch directory
    problem = input_problem(args.program)
    if problem:
        print("dm port: %s: %s" % (args.program, problem), file=sys.stderr)
        return BAD_INPUT
    if args.pool < 4096 or args.pool > (1 << 31) or args.pool & (args.pool - 1):
        print("dm port: --pool %d: a power of two from 4096 to 2147483648 bytes" % args.pool, file=sys.stderr)
        return USAGE
    if not shutil.which(args.clang):
        print("dm port: %s not found (make deps installs clang-19)" % args.clang, file=sys.stderr)
        return INTERNAL_ERROR
    work = tempfile.mkdtemp(prefix="dm-port-")
    step = ["starting"]
    try:
        return port(args, work, step)
    except Unsupported as e:
        where = "%s:%d: " % (args.program, e.line) if e.line else "%s: " % args.program
        print("%sconstruct not supported in BPF: %s" % (where, e.what), file=sys.stderr)
        return 1
    except Refused as e:
        print(e, file=sys.stderr)
        return 1
    except Exception as e:  # a bug of the porter's own: said as one, never as a traceback
        print("dm port: %s: internal error while %s: %s: %s (a bug in dm port: please report it with the program)"
              % (args.program, step[0], type(e).__name__, e), file=sys.stderr)
        return INTERNAL_ERROR
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
