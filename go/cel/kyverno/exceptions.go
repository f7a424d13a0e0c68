package kyverno

import (
	"context"
	"strings"

	celgo "cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/interpreter"

	"policyc/cel/protocol"
)

// ExceptionsVariable is Kyverno's `exceptions` variable: what the PolicyExceptions that matched
// the request allow instead of exempting it (their `images` as allowedImages, their
// `allowedValues`), for the policy's expressions to read. Empty lists when none did.
const ExceptionsVariable = "exceptions"

var exceptionsType = celgo.MapType(celgo.StringType, celgo.ListType(celgo.StringType))

// currentExceptions is the value of `exceptions` for the evaluation under way (SetExceptions).
var currentExceptions = exceptionsValue(nil)

func exceptionsValue(e *protocol.ExceptionValues) ref.Val {
	images, values := []string{}, []string{}
	if e != nil {
		images = append(images, e.AllowedImages...)
		values = append(values, e.AllowedValues...)
	}
	return types.DefaultTypeAdapter.NativeToValue(map[string][]string{"allowedImages": images, "allowedValues": values})
}

// SetExceptions sets `exceptions` for the next evaluations (nil: nothing allowed).
func SetExceptions(e *protocol.ExceptionValues) { currentExceptions = exceptionsValue(e) }

// ReadsExceptions is whether an expression may read `exceptions` (it names it).
func ReadsExceptions(expression string) bool { return strings.Contains(expression, ExceptionsVariable) }

// WithExceptions is a program whose activation also holds `exceptions`: the API server's
// validator builds the activation of its own variables, so Kyverno's is added around it.
func WithExceptions(p celgo.Program) celgo.Program { return exceptionsProgram{p} }

type exceptionsProgram struct{ celgo.Program }

func (p exceptionsProgram) Eval(vars any) (ref.Val, *celgo.EvalDetails, error) {
	return p.Program.Eval(withExceptions(vars))
}

func (p exceptionsProgram) ContextEval(ctx context.Context, vars any) (ref.Val, *celgo.EvalDetails, error) {
	return p.Program.ContextEval(ctx, withExceptions(vars))
}

func withExceptions(vars any) any {
	parent, err := interpreter.NewActivation(vars)
	if err != nil {
		return vars
	}
	child, err := interpreter.NewActivation(map[string]any{ExceptionsVariable: currentExceptions})
	if err != nil {
		return vars
	}
	return interpreter.NewHierarchicalActivation(parent, child)
}
