package kyverno

// Kyverno's `or` and `orValue` on a value that is not an optional.
//
// Kyverno's CLI releases are built on cel-go versions before v0.28, where `x.orValue(y)` and
// `x.or(y)` hand back a receiver that is not an optional unchanged, without evaluating y
// (cel-go's evalOptionalOrValue: "if !ok { return optLHS }"). cel-go v0.28 (its pull request
// 1276) made that `no such overload`, and the cel-go policyc builds from is newer. Policies of the
// Kyverno policy library rely on the old behaviour, e.g. restrict-seccomp-strict's
// `container.securityContext.seccompProfile.type.orValue('RuntimeDefault')` after `has()` guards.
//
// Kyverno's environments (and only they: the Kubernetes environment stays as the API server has
// it) therefore parse each receiver call `x.orValue(y)` / `x.or(y)` as
//
//	@kyverno.receiver(x).orValue(y)
//
// where @kyverno.receiver has x's static type, so compiling is unchanged (cel-go's own
// orValue/or, their types and messages: a receiver typed as a string still fails to compile, as
// it did in those versions), and at run time hands an optional back as it is and a value that is
// not one as optional.of(value): orValue then gives the value without evaluating y. An error or
// unknown in x is the result, as before. One difference remains: `x.or(y)` on such a value is
// optional.of(x) where those versions gave x itself, which only `.value()` or `.hasValue()` after
// it tell apart (they failed on x there); `.orValue(z)` after it gives x either way.

import (
	"cel.dev/cel-go/common"
	"cel.dev/cel-go/common/ast"
	"cel.dev/cel-go/common/operators"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/parser"

	celgo "cel.dev/cel-go/cel"
)

const receiverFunc = "@kyverno.receiver"

// LegacyOptionalCalls are the environment options that give `or` and `orValue` the behaviour of
// Kyverno's cel-go on a receiver that is not an optional.
func LegacyOptionalCalls() []celgo.EnvOption {
	a := celgo.TypeParamType("A")
	return []celgo.EnvOption{
		celgo.Macros(
			celgo.ReceiverMacro("orValue", 1, receiverOf("orValue")),
			celgo.ReceiverMacro("or", 1, receiverOf("or")),
		),
		celgo.Function(receiverFunc, celgo.Overload("kyverno_optional_receiver", []*celgo.Type{a}, a,
			celgo.UnaryBinding(func(v ref.Val) ref.Val {
				if _, ok := v.(*types.Optional); ok {
					return v
				}
				return types.OptionalOf(v)
			}))),
	}
}

func receiverOf(function string) celgo.MacroFactory {
	return func(eh celgo.MacroExprFactory, target ast.Expr, args []ast.Expr) (ast.Expr, *celgo.Error) {
		return eh.NewMemberCall(function, eh.NewCall(receiverFunc, target), args[0]), nil
	}
}

var plainParser, _ = parser.NewParser(parser.Macros(parser.AllMacros...), parser.EnableOptionalSyntax(true))

// OptionalCallsAgree reports whether every `or` and `orValue` call in the expressions has a
// receiver that is an optional by its very syntax (`x.?f`, `x[?k]`, `optional.of(…)`,
// `optional.none()`, `optional.ofNonZeroValue(…)`, another `or`, or a conditional choosing
// between such receivers): then Kyverno's environment and
// the Kubernetes one agree on them, and a compile in the Kubernetes environment can stand for
// Kyverno's. An expression that does not parse does not agree.
func OptionalCallsAgree(expressions ...string) bool {
	for _, text := range expressions {
		if text == "" {
			continue
		}
		parsed, iss := plainParser.Parse(common.NewTextSource(text))
		if iss != nil && len(iss.GetErrors()) > 0 {
			return false
		}
		agree := true
		ast.PostOrderVisit(parsed.Expr(), ast.NewExprVisitor(func(e ast.Expr) {
			if e.Kind() != ast.CallKind {
				return
			}
			call := e.AsCall()
			if (call.FunctionName() == "orValue" || call.FunctionName() == "or") && call.IsMemberFunction() && !syntacticallyOptional(call.Target()) {
				agree = false
			}
		}))
		if !agree {
			return false
		}
	}
	return true
}

func syntacticallyOptional(e ast.Expr) bool {
	if e.Kind() != ast.CallKind {
		return false
	}
	call := e.AsCall()
	switch call.FunctionName() {
	case operators.OptSelect, operators.OptIndex:
		return true
	case "or":
		return call.IsMemberFunction()
	case operators.Conditional:
		return syntacticallyOptional(call.Args()[1]) && syntacticallyOptional(call.Args()[2])
	case "of", "none", "ofNonZeroValue":
		t := call.Target()
		return call.IsMemberFunction() && t.Kind() == ast.IdentKind && t.AsIdent() == "optional"
	}
	return false
}
