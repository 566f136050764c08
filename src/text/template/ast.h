// The syntax tree the parser builds and the evaluator walks: expressions and statements of jinja2's grammar as
// chat templates use it. Plain data; nodes own their children.
// Must not contain parsing or evaluation.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "text/template/value.h"
#include "text/template/value_ops.h"

namespace fovea::text::jinja {

struct Expr;
struct Stmt;
using ExprPtr = std::unique_ptr<Expr>;
using StmtPtr = std::unique_ptr<Stmt>;
using StmtList = std::vector<StmtPtr>;

enum class ExprKind {
  kConst,        // constant
  kName,         // name
  kNsRef,        // name.attr as an assignment target (namespace attribute)
  kGetattr,      // children[0].name
  kGetitem,      // children[0][children[1]]
  kSlice,        // children: start, stop, step (null when omitted); only as a kGetitem subscript
  kCall,         // children[0](args)
  kFilter,       // children[0] | name(args); children[0] is a kPlaceholder in filter blocks
  kTest,         // children[0] is name(args)
  kUnary,        // -x or +x (negative == true for -)
  kNot,          // not children[0]
  kBinary,       // children[0] op children[1]
  kAnd,          // children[0] and children[1]
  kOr,           // children[0] or children[1]
  kCompare,      // children[0] compare_ops[i] children[i + 1] ...
  kConcat,       // children joined with ~
  kCondition,    // children: then-value, test, else-value (else may be null: undefined)
  kList,         // [children]
  kTuple,        // (children)
  kDict,         // {children[2i]: children[2i + 1]}
  kPlaceholder,  // the captured body of a filter block or a filtered set block
};

struct Keyword {
  std::string name;
  ExprPtr value;
};

// Positional and keyword arguments of a call, filter or test; *args and **kwargs as in Python.
struct ArgList {
  std::vector<ExprPtr> positional;
  std::vector<Keyword> keywords;
  ExprPtr star_args;
  ExprPtr star_kwargs;
};

struct Expr {
  ExprKind kind = ExprKind::kConst;
  int line = 0;
  Value constant;                 // kConst
  std::string name;               // kName, kNsRef (the namespace), kGetattr, kFilter, kTest
  std::string attr;               // kNsRef attribute
  std::vector<ExprPtr> children;  // operands, in the order documented on ExprKind
  ArgList args;                   // kCall, kFilter, kTest
  BinaryOp binary_op = BinaryOp::kAdd;
  bool negative = false;  // kUnary
  std::vector<CompareOp> compare_ops;
  uint32_t depth = 1;  // height of this subtree, bounded by the parser so evaluation cannot overflow the stack
};

enum class StmtKind {
  kText,         // literal output
  kOutput,       // {{ expr }}
  kIf,           // if/elif branches, then else_body
  kFor,          // for target in expr [if condition] [recursive]: body else else_body
  kSet,          // set target = expr
  kSetBlock,     // set target [| filters]: body endset (filter holds the chain over a kPlaceholder)
  kMacro,        // macro name(params): body
  kCallBlock,    // call(params) expr: body  (the body becomes `caller`)
  kFilterBlock,  // filter chain: body
  kWith,         // with targets = values: body
  kBreak,
  kContinue,
  kScope,  // a body rendered in place (generation blocks)
};

struct MacroParam {
  std::string name;
  ExprPtr default_value;  // null: required (undefined when not passed)
};

struct IfBranch {
  ExprPtr test;
  std::vector<StmtPtr> body;
};

struct Stmt {
  StmtKind kind = StmtKind::kText;
  int line = 0;
  std::string text;                // kText
  ExprPtr expr;                    // kOutput, kFor iterable, kSet value, kCallBlock call
  std::vector<IfBranch> branches;  // kIf
  ExprPtr target;                  // kFor, kSet, kSetBlock
  ExprPtr condition;               // kFor filter
  ExprPtr filter;                  // kSetBlock, kFilterBlock
  StmtList body;
  StmtList else_body;
  bool recursive = false;  // kFor
  // kMacro, kCallBlock
  std::string name;
  std::vector<MacroParam> params;
  bool uses_varargs = false;
  bool uses_kwargs = false;
  bool uses_caller = false;
  // kWith
  std::vector<std::pair<ExprPtr, ExprPtr>> assignments;
};

}  // namespace fovea::text::jinja
