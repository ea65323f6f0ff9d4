#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""dm port's front end: turns a plain C program that mallocs into BPF C on the arena heap, and compiles it.

    port.py PROGRAM.c -o OUT.bpf.o [--pool BYTES] [--keep DIR] [--clang CLANG] [--include-dir DIR]

Clang's own AST (-ast-dump=json, with modify/port_include/ as the only libc) finds what BPF cannot run, which stops
the port with `FILE:LINE: construct not supported in BPF: ...`, and where to edit. The edits only insert text, and
never a line break, so that line numbers stay the program's:
  - every pointer declarator gets `__arena` (all the program's pointers are heap pointers), written as a comment
    until modify.sh has run, since Coccinelle keeps comments and would not parse the qualifier;
  - every string literal becomes dm_port_literal("..."), a copy on the heap;
  - every loop condition gets `&& dm_port_more(LINE)` (can_loop, failing loudly when the budget runs out);
  - an index into a fixed-size array of the program's own gets dm_port_index(i, N, LINE);
  - a constant stored in a local number gets dm_port_opaque(...), which hides it from the verifier;
  - static variables get __attribute__((used)), which keeps clang from splitting them (see keep_whole);
  - functions other than main become static, and those that take or return a struct by value always_inline (the BPF
    backend cannot pass one to a call);
  - local arrays of more than 64 bytes become static (the BPF stack has 512 bytes for a whole call chain); initialised
    ones above 256 bytes too, followed by dm_port_initialise(NAME, INITIALISER), which copies it at the declaration;
  - a goto back to a label above it (a loop) gets `if (dm_port_more(LINE))`, as loop conditions do;
  - a parenthesised function name, `int (f)(void)`, loses its parentheses (Coccinelle cannot parse it);
then modify/modify.sh rewrites malloc & co to the heap, and an allocation it reports as used without a NULL check
gets dm_port_checked(...). The result is compiled against modify/port_include/dm_port_runtime.h.
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
INCLUDE = os.path.join(HERE, "port_include")
# The BPF stack is 512 bytes for a function and all it calls (clang compiles most of them into one): local arrays
# larger than STATIC_FROM move to static storage (a map) when nothing initialises them, and initialised ones larger
# than INITIALISED_LIMIT too, their initial value copied again at the declaration.
STATIC_FROM = 64
INITIALISED_LIMIT = 256
# What a refused libc function is, for its message: dm port's libc is what modify/port_include/ declares.
FILE_IO = {"fopen", "fclose", "fread", "fwrite", "fscanf", "fseek", "ftell", "rewind", "freopen", "fdopen", "open",
           "read", "write", "close", "remove", "rename", "getline", "ungetc"}
INPUT = {"gets", "sscanf", "vscanf", "getdelim"}
FORMATS = {"printf": 0, "fprintf": 1, "scanf": 0}  # functions with a format: the arguments before it
READERS = {"scanf", "getchar", "getc", "fgetc", "fgets"}  # a program that calls one gets dm run's standard input
FLOATING = {"pow", "sqrt", "exp", "log", "sin", "cos", "tan", "floor", "ceil", "fabs", "atof", "strtod", "strtof"}
# Exit statuses, from dm's one table (user/dm.c, EXIT_STATUSES; dm --help prints it).
UNPORTABLE, USAGE, BAD_INPUT, INTERNAL_ERROR = 1, 2, 3, 7
ALLOCATORS = {"static_malloc": 1, "static_calloc": 2, "static_realloc": 3}
# Qualifiers and attributes go in as comments first: Coccinelle (modify.sh) keeps comments and would not parse them.
ARENA_MARK = "/*@arena*/"
MARKS = {ARENA_MARK: " __arena ", "/*@noinline*/": "__attribute__((noinline, weak)) ", "/*@arg_arena*/": " __arg_arena"}


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
    for child in node.get("inner", []):
        yield from walk(child, node)


class Source:
    def __init__(self, path):
        with open(path, encoding="utf-8") as f:
            self.text = f.read()
        self.line_starts = [0] + [i + 1 for i, c in enumerate(self.text) if c == "\n"]
        self.inserts = []  # (offset, text): applied from the end

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

    def blank(self, offset):
        """A character made a space: offsets and lines stay the same for every other edit."""
        self.text = self.text[:offset] + " " + self.text[offset + 1:]

    def result(self):
        text = self.text
        for offset, piece in sorted(self.inserts, key=lambda x: x[0], reverse=True):
            text = text[:offset] + piece + text[offset:]
        return text


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
        self.kept_whole = set()  # where static declarations got __attribute__((used))
        self.main_decls = []  # top-level declarations of the program (not of the headers)
        self.library = set()  # the functions of dm port's libc: those modify/port_include/ declares
        self.dropped = []  # system headers the program includes, left out of the port (drop_system_headers)
        self.reads_input = False  # whether it calls an input function (READERS)
        self.clang = clang
        for decl, where in top_level_files(ast):
            if decl.get("kind") == "FunctionDecl" and (where or "").startswith(INCLUDE + os.sep):
                self.library.add(decl.get("name"))
            if decl.get("isImplicit") or (where and where != path and os.path.basename(where) != os.path.basename(path)):
                continue
            self.main_decls.append(decl)
        self.typedefs = {d["name"]: d.get("type", {}).get("qualType", "") for d in self.main_decls
                         if d["kind"] == "TypedefDecl"}  # typedef name: its type
        for decl in self.main_decls:
            for node, parent in walk(decl):
                node["_parent"] = parent
                if "id" in node:
                    self.nodes[node["id"]] = node

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
            for i in range(after, after + brackets.end()):
                self.src.blank(i)
            self.src.insert(name_at, ARENA_MARK + "*")
        self.src.insert(after, "/*@arg_arena*/")

    def line(self, node):
        loc = node.get("loc") or node.get("range", {}).get("begin", {})
        off = loc.get("offset")
        if off is None and "expansionLoc" in loc:
            off = loc["expansionLoc"].get("offset")
        return self.src.line_of(off) if off is not None else 0

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
                if "(*)" in qual and node.get("kind") in ("VarDecl", "ParmVarDecl", "FieldDecl", "TypedefDecl",
                                                          "CStyleCastExpr"):
                    raise Unsupported(self.line(node), "function pointers (%s)" % qual)
                if node.get("kind") in ("VarDecl", "ParmVarDecl", "FieldDecl") and re.search(r"\[[^\]]*[A-Za-z_(][^\]]*\]", qual):
                    raise Unsupported(self.line(node), "variable-length array '%s' (%s)" % (node.get("name"), qual))
                if node.get("kind") == "UnaryOperator" and node.get("opcode") == "&":
                    target = self.referenced_variable(node["inner"][0])
                    if target is not None:
                        raise Unsupported(self.line(node), "taking the address of '%s', a variable: only heap memory "
                                          "can be pointed to (allocate it)" % target["name"])
                if node.get("kind") == "ImplicitCastExpr" and node.get("castKind") == "ArrayToPointerDecay" \
                        and parent.get("kind") != "ArraySubscriptExpr":
                    target = self.referenced_variable(node["inner"][0])
                    if target is not None:
                        raise Unsupported(self.line(node), "using the array '%s' as a pointer: only heap memory can be "
                                          "pointed to (allocate it)" % target["name"])
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
                    if name not in defined and name not in self.library and not name.startswith("__builtin"):
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
                    raise Unsupported(edges[name][callee], "recursion (%s): BPF has no recursion; use a loop and an "
                                      "explicit stack" % " -> ".join(cycle))
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
                for i in range(m.start(), m.end()):
                    self.src.blank(i)

    def star_run_before(self, end):
        """Offsets of the '*' of a declarator that ends just before `end` (a name, a '[' or a ')')."""
        text, stars, i = self.src.text, [], end - 1
        while i >= 0:
            c = text[i]
            if c == "*":
                stars.append(i)
            elif c.isspace():
                pass
            elif text[:i + 1].endswith(("const", "volatile", "restrict")) and stars:
                i -= len(re.search(r"(const|volatile|restrict)$", text[:i + 1]).group(0)) - 1
            else:
                break
            i -= 1
        return stars

    def annotate_pointers(self):
        """`__arena` before every '*' of a declarator: `T **p` becomes `T __arena *__arena *p`. Declarators after
        the first of a declaration share its base type, so they get it only between their own stars."""
        first_of = {}
        for decl in self.main_decls:
            for node, _ in walk(decl):
                if node.get("kind") in ("VarDecl", "FieldDecl") and offset(node.get("loc")) is not None:
                    begin = node["range"]["begin"].get("offset")
                    first_of.setdefault(begin, node)
        for decl in self.main_decls:
            for node, _ in walk(decl):
                kind = node.get("kind")
                qual = node.get("type", {}).get("qualType", "")
                if kind in ("VarDecl", "ParmVarDecl", "FieldDecl", "TypedefDecl") and "*" in qual:
                    name_at = offset(node.get("loc"))
                    if name_at is None:
                        continue
                    if not node.get("name"):  # an unnamed parameter: its declarator ends with the range
                        name_at = end_offset(node["range"]["end"])
                    stars = self.star_run_before(name_at)
                    first = first_of.get(node["range"]["begin"].get("offset"), node)
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

    def intern_literals(self):
        for decl in self.main_decls:
            for node, parent in walk(decl):
                if node.get("kind") != "StringLiteral":
                    continue
                if parent.get("kind") in ("VarDecl", "InitListExpr") and "[" in parent.get("type", {}).get("qualType", ""):
                    continue  # a char array's initialiser stays an array
                begin, end = offset(node["range"]["begin"]), node["range"]["end"]
                if begin is None or offset(end) is None:
                    continue
                self.src.insert(begin, "dm_port_literal(")
                self.src.insert(end_offset(end), ")")

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
            qual = decl.get("type", {}).get("qualType", "")
            return decl.get("kind") == "VarDecl" and "*" not in qual and "[" not in qual and \
                not qual.startswith(("struct", "union")) and decl.get("storageClass") != "static"

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
            for i in range(at + word.start(), at + word.end()):
                self.src.blank(i)
        self.src.insert(at, "/*@noinline*/")
        for parameter in function.get("inner", []):
            named_at = offset(parameter.get("loc")) if parameter.get("kind") == "ParmVarDecl" else None
            kind = parameter.get("type", {})
            if named_at is not None and parameter.get("name") and "*" in kind.get("desugaredQualType",
                                                                                 kind.get("qualType", "")):
                self.src.insert(named_at + len(parameter["name"]), "/*@arg_arena*/")

    def can_be_global(self, function):
        """A global function takes scalars or (arena) pointers and returns a scalar: not a pointer, and on this
        kernel (6.18) not void either ("Global function ... doesn't return scalar")."""
        returned = function.get("type", {}).get("qualType", "").split("(")[0].strip()
        returned = self.typedefs.get(returned.replace("const ", ""), returned)
        return function.get("name") not in self.by_value and "*" not in returned and returned != "void" and \
            offset(function.get("loc")) is not None and not function.get("variadic")

    def make_static(self):
        for decl in self.main_decls:
            at = offset(decl["range"]["begin"]) if decl.get("kind") == "FunctionDecl" else None
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
                if size <= STATIC_FROM or node.get("storageClass") == "static":
                    continue
                if node.get("init") and size <= INITIALISED_LIMIT:
                    continue
                if len(parent.get("inner", [])) > 1:
                    raise Unsupported(self.line(node), "local array '%s' of %d bytes declared with other variables: "
                                      "it moves to static storage (the BPF stack holds 512 bytes); declare it on "
                                      "its own" % (node["name"], size))
                self.src.insert(node["range"]["begin"]["offset"], "static ")
                element = node.get("type", {}).get("qualType", "").split("[")[0]
                read_only = re.search(r"\bconst\s*$", element) or ("*" not in element and element.startswith("const "))
                if node.get("init") and not read_only:  # a const one cannot have changed
                    self.initialise_at_declaration(node)

    def keep_whole(self, variable):
        """A static variable gets __attribute__((used)): else clang may split a struct or array of which the
        program uses some parts into one variable per part (global SRA), while its BTF keeps the whole type, which
        the kernel then refuses ("Invalid size"); libbpf loads the program without BTF, and the heap's bpf_loop
        callback is rejected: "missing btf func_info"."""
        begin = offset(variable["range"]["begin"])
        if begin is not None and begin not in self.kept_whole:
            self.kept_whole.add(begin)
            self.src.insert(begin, "__attribute__((used)) ")

    def initialise_at_declaration(self, array):
        """A static array gets its initial value once; a local one at every pass through its declaration: after it,
        dm_port_initialise(NAME, INITIALISER) copies the initialiser again, written on the declaration's last line."""
        init = array["inner"][-1]
        begin, end = start_offset(init["range"]["begin"]), end_offset(init["range"]["end"])
        initialiser = self.src.text[begin:end] if begin is not None else ""
        if not initialiser or "//" in initialiser:
            raise Unsupported(self.line(array), "local array '%s' with an initialiser this port cannot copy (a "
                              "// comment in it): make it a global" % array["name"])
        semicolon = self.src.text.find(";", end_offset(array["range"]["end"]))
        self.src.insert(semicolon + 1, " dm_port_initialise(%s, %s);" % (array["name"],
                                                                         re.sub(r"\s+", " ", initialiser)))

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
    run = subprocess.run([os.path.join(HERE, "modify.sh"), "--dry-run", path], capture_output=True, text=True)
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
    porter.check_main(args.program)
    for step[0], edit in (("checking what BPF cannot run", porter.check),
                          ("unparenthesising function names", porter.plain_function_names),
                          ("putting main's arguments in the heap", porter.arguments_in_heap),
                          ("leaving out system headers", porter.drop_system_headers),
                          ("marking pointers __arena", porter.annotate_pointers),
                          ("copying string literals to the heap", porter.intern_literals),
                          ("bounding loops", porter.bound_loops), ("bounding gotos", porter.bound_gotos),
                          ("bounding indexes", porter.bound_indexes), ("hiding constants", porter.opaque_constants),
                          ("making functions and large arrays static", porter.make_static)):
        edit()
    step[0] = "rewriting malloc & co (modify/modify.sh)"
    ported = os.path.join(work, name if name.endswith(".c") else name + ".c")  # modify.sh rewrites .c files only
    with open(ported, "w", encoding="utf-8") as f:
        f.write(source.result())
    unchecked = check_allocations(ported)  # lines of the file as modify.sh is about to write it
    rewrite = subprocess.run([os.path.join(HERE, "modify.sh"), ported], capture_output=True, text=True)
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
    lines[:0] = ['#include "dm_port_runtime.h"', '#line 1 "%s"' % name]
    # dm run names the program in its messages
    lines.append('const char dm_port_source[] SEC(".rodata.dm_port") = "%s";' % name.replace('"', ''))
    with open(ported, "w", encoding="utf-8") as f:
        f.write("\n".join(lines))
    step[0] = "compiling the ported program for BPF"
    multiarch = subprocess.run(["gcc", "-print-multiarch"], capture_output=True, text=True).stdout.strip()
    command = [args.clang, "-O2", "-g", "-target", "bpf", "-mcpu=v4", "-ffreestanding", "-nostdlibinc",
               "-isystem", INCLUDE, "-I", args.include_dir, "-idirafter", "/usr/include",
               "-idirafter", "/usr/include/" + multiarch, "-DDM_POOL_SIZE=%d" % args.pool,
               "-DDM_PORT_MAIN_ARGUMENTS=%d" % bool(porter.main_arguments), "-DDM_PORT_READS_INPUT=%d" % porter.reads_input,
               "-Wno-unused-value", "-c", "-x", "c", ported, "-o", args.output]
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
