// Package authz evaluates ValidatingPolicies in the Kyverno Authz Server's evaluation modes
// (`spec.evaluation.mode: HTTP` or `Envoy`), as the Kyverno CLI's test command does with the
// Authz Server's compiler and engine: one CEL environment per mode (the Authz Server's base
// options, Kubernetes' CEL libraries, the mode's library, JWT, and Kyverno's resource, http and
// image libraries),
// `object` the request, match conditions that must all hold, lazily evaluated typed variables,
// and validations in order: the first that returns a response (not null) decides.
package authz

import (
	"encoding/json"
	"fmt"
	"sync"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/ext"
	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
	"k8s.io/apiserver/pkg/cel/lazy"
	"k8s.io/apiserver/pkg/cel/library"

	"policyc/cel/authz/envoy"
	authzhttp "policyc/cel/authz/http"
	"policyc/cel/authz/jwt"
	"policyc/cel/kyverno"
	"policyc/cel/protocol"
)

const (
	ModeHTTP  = "HTTP"
	ModeEnvoy = "Envoy"
)

// variablesType is the type of `variables`: a struct whose fields are the policy's variables,
// each of its expression's type.
var variablesType = types.NewObjectType("kyverno.authz.variables")

var (
	envs    = map[string]*cel.Env{}
	envsErr = map[string]error{}
	envsMu  sync.Mutex
)

// baseEnv is the mode's environment before `object` and `variables`, built once per mode.
func baseEnv(mode string) (*cel.Env, error) {
	envsMu.Lock()
	defer envsMu.Unlock()
	if env, ok := envs[mode]; ok || envsErr[mode] != nil {
		return env, envsErr[mode]
	}
	var modeLib cel.EnvOption
	switch mode {
	case ModeHTTP:
		modeLib = authzhttp.Lib()
	case ModeEnvoy:
		modeLib = envoy.Lib()
	default:
		return nil, fmt.Errorf("invalid evaluation mode %q", mode)
	}
	opts := []cel.EnvOption{
		cel.HomogeneousAggregateLiterals(),
		cel.EagerlyValidateDeclarations(true),
		cel.DefaultUTCTimeZone(true),
		cel.CrossTypeNumericComparisons(true),
		cel.OptionalTypes(),
		ext.Bindings(), ext.Encoders(), ext.Lists(), ext.Math(), ext.Protos(), ext.Sets(), ext.Strings(),
		library.CIDR(), library.Format(), library.IP(), library.Lists(), library.Regex(), library.URLs(),
		library.Quantity(), library.SemverLib(),
		// The Authz Server's json library: json.Unmarshal(text), as Go's encoding/json decodes it
		// (numbers are doubles).
		cel.Function("json.Unmarshal", cel.Overload("json_unmarshal_string", []*cel.Type{cel.StringType}, cel.DynType,
			cel.UnaryBinding(unmarshalJSON))),
	}
	opts = append(opts, kyverno.LegacyOptionalCalls()...)
	env, err := cel.NewEnv(opts...)
	// The libraries that declare types, each on the environment before it (they read its type
	// provider and adapter).
	for _, lib := range []func() (cel.EnvOption, error){
		func() (cel.EnvOption, error) { return modeLib, nil },
		func() (cel.EnvOption, error) { return jwt.Lib(), nil },
		kyverno.AuthzLibrary,
	} {
		if err != nil {
			break
		}
		var opt cel.EnvOption
		if opt, err = lib(); err == nil {
			env, err = env.Extend(opt)
		}
	}
	envs[mode], envsErr[mode] = env, err
	return env, err
}

// Policy is a compiled policy.
type Policy struct {
	mode            string
	failurePolicy   string
	matchConditions []cel.Program
	variables       []variable
	rules           []cel.Program
}

type variable struct {
	name    string
	program cel.Program
}

// spec is what the compiler reads of a ValidatingPolicy.
type spec struct {
	Evaluation struct {
		Mode string `json:"mode"`
	} `json:"evaluation"`
	FailurePolicy   *string `json:"failurePolicy"`
	MatchConditions []struct {
		Name       string `json:"name"`
		Expression string `json:"expression"`
	} `json:"matchConditions"`
	Variables []struct {
		Name       string `json:"name"`
		Expression string `json:"expression"`
	} `json:"variables"`
	Validations []struct {
		Expression string `json:"expression"`
	} `json:"validations"`
}

// Compile compiles a ValidatingPolicy in HTTP or Envoy mode; the first problem stops it, as in
// the Authz Server's compiler.
func Compile(raw json.RawMessage) (*Policy, []protocol.Problem, error) {
	var doc struct {
		Spec spec `json:"spec"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, nil, err
	}
	s := doc.Spec
	base, err := baseEnv(s.Evaluation.Mode)
	if err != nil {
		return nil, nil, err
	}
	objectType, responseType := authzhttp.RequestType, authzhttp.ResponseType
	if s.Evaluation.Mode == ModeEnvoy {
		objectType, responseType = envoy.CheckRequest, envoy.CheckResponse
	}
	vars := &variablesProvider{Provider: base.CELTypeProvider(), fields: map[string]*types.Type{}}
	env, err := base.Extend(
		cel.Variable("object", objectType),
		cel.Variable("variables", variablesType),
		cel.CustomTypeProvider(vars),
	)
	if err != nil {
		return nil, nil, err
	}
	p := &Policy{mode: s.Evaluation.Mode, failurePolicy: "Fail"}
	if s.FailurePolicy != nil {
		p.failurePolicy = *s.FailurePolicy
	}
	problem := func(field, expression, message string) (*Policy, []protocol.Problem, error) {
		return nil, []protocol.Problem{{Field: field, Message: fmt.Sprintf("Invalid value: %q: %s", expression, message)}}, nil
	}
	compile := func(expression string) (*cel.Ast, cel.Program, string) {
		ast, issues := env.Compile(expression)
		if err := issues.Err(); err != nil {
			return nil, nil, kyverno.ExplainCompileErrorWith(err.Error(), kyverno.QualifiedFunctions(base))
		}
		prog, err := env.Program(ast)
		if err != nil {
			return nil, nil, err.Error()
		}
		return ast, prog, ""
	}
	for i, mc := range s.MatchConditions {
		field := fmt.Sprintf("spec.matchConditions[%d].expression", i)
		ast, prog, msg := compile(mc.Expression)
		if msg == "" && !ast.OutputType().IsExactType(types.BoolType) {
			msg = "matchCondition output is expected to be of type bool"
		}
		if msg != "" {
			return problem(field, mc.Expression, msg)
		}
		p.matchConditions = append(p.matchConditions, prog)
	}
	for i, v := range s.Variables {
		ast, prog, msg := compile(v.Expression)
		if msg != "" {
			return problem(fmt.Sprintf("spec.variables[%d].expression", i), v.Expression, msg)
		}
		vars.fields[v.Name] = ast.OutputType()
		p.variables = append(p.variables, variable{v.Name, prog})
	}
	for i, v := range s.Validations {
		ast, prog, msg := compile(v.Expression)
		if msg == "" && !ast.OutputType().IsExactType(responseType) && !ast.OutputType().IsExactType(types.NullType) {
			msg = fmt.Sprintf("rule response output is expected to be of type %s", responseType.TypeName())
		}
		if msg != "" {
			return problem(fmt.Sprintf("spec.validations[%d].expression", i), v.Expression, msg)
		}
		p.rules = append(p.rules, prog)
	}
	return p, nil, nil
}

// variablesProvider declares `variables`' fields as the policy's variables are compiled.
type variablesProvider struct {
	types.Provider
	fields map[string]*types.Type
}

func (v *variablesProvider) FindStructType(name string) (*types.Type, bool) {
	if name == variablesType.TypeName() {
		return types.NewTypeTypeWithParam(variablesType), true
	}
	return v.Provider.FindStructType(name)
}

func (v *variablesProvider) FindStructFieldType(structType, field string) (*types.FieldType, bool) {
	if structType == variablesType.TypeName() {
		if t, ok := v.fields[field]; ok {
			return &types.FieldType{Type: t}, true
		}
		return nil, false
	}
	return v.Provider.FindStructFieldType(structType, field)
}

// Decision is a policy's answer on a request.
type Decision struct {
	// Result: "allowed", "denied", "none" (no match, every validation returned null, or an error
	// under failurePolicy Ignore) or "error".
	Result  string `json:"result"`
	Message string `json:"message,omitempty"`
}

// Decode reads a payload file's text as the mode's request.
func (p *Policy) Decode(raw []byte) (any, error) {
	if p.mode == ModeEnvoy {
		return envoy.Decode(raw)
	}
	return authzhttp.Decode(raw)
}

// Evaluate is the policy's decision on a request (from Decode).
func (p *Policy) Evaluate(request any) Decision {
	out, err := p.evaluate(request)
	switch {
	case err != nil && p.failurePolicy == "Fail":
		return Decision{Result: "error", Message: err.Error()}
	case err != nil || out == nil:
		return Decision{Result: "none", Message: "request does not match"}
	}
	switch r := out.(type) {
	case *authv3.CheckResponse:
		if ok := r.GetOkResponse(); ok != nil {
			return Decision{Result: "allowed", Message: "request allowed"}
		}
		if denied := r.GetDeniedResponse(); denied != nil {
			return Decision{Result: "denied", Message: fmt.Sprintf("request denied with status code %d", denied.GetStatus().GetCode())}
		}
	case *authzhttp.CheckResponse:
		if r.Ok != nil {
			return Decision{Result: "allowed", Message: "request allowed"}
		}
		if r.Denied != nil {
			return Decision{Result: "denied", Message: fmt.Sprintf("request denied, reason: %s", r.Denied.Reason)}
		}
	}
	// A response that neither allows nor denies: the Kyverno CLI reports no status for it.
	return Decision{Result: "none", Message: "the response neither allows nor denies"}
}

// evaluate runs the match conditions, then the validations in order with lazily evaluated
// variables; the first response decides.
func (p *Policy) evaluate(request any) (any, error) {
	data := map[string]any{"object": request}
	var errs []error
	for _, mc := range p.matchConditions {
		out, _, err := mc.Eval(data)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		b, ok := out.(types.Bool)
		if !ok {
			errs = append(errs, fmt.Errorf("match condition is %s, not bool", out.Type().TypeName()))
			continue
		}
		if !b {
			return nil, nil
		}
	}
	if len(errs) > 0 {
		return nil, joinErrors(errs)
	}
	vars := lazy.NewMapValue(variablesType)
	data["variables"] = vars
	for _, v := range p.variables {
		prog := v.program
		vars.Append(v.name, func(*lazy.MapValue) ref.Val {
			out, _, err := prog.Eval(data)
			if out != nil {
				return out
			}
			if err != nil {
				return types.WrapErr(err)
			}
			return nil
		})
	}
	for _, rule := range p.rules {
		out, _, err := rule.Eval(data)
		if err != nil {
			return nil, err
		}
		if out == nil || out == types.NullValue || out.Value() == nil {
			continue
		}
		return out.Value(), nil
	}
	return nil, nil
}

func joinErrors(errs []error) error {
	if len(errs) == 1 {
		return errs[0]
	}
	msg := errs[0].Error()
	for _, e := range errs[1:] {
		msg += "; " + e.Error()
	}
	return fmt.Errorf("%s", msg)
}

func unmarshalJSON(text ref.Val) ref.Val {
	s, ok := text.(types.String)
	if !ok {
		return types.NoSuchOverloadErr()
	}
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		return types.WrapErr(err)
	}
	return types.DefaultTypeAdapter.NativeToValue(v)
}
