package kyverno

import (
	"strings"
	"testing"

	"k8s.io/apiserver/pkg/cel/environment"
)

func TestOrValueOnAValueThatIsNotAnOptionalGivesItBack(t *testing.T) {
	for expression, want := range map[string]any{
		// The library's restrict-seccomp-strict, after its has() guards.
		`dyn({'type': 'Localhost'}).type.orValue('RuntimeDefault')`: "Localhost",
		// The argument is not evaluated.
		`dyn('x').orValue(dyn({})['missing'])`: "x",
		`dyn(5).or(optional.of(3))`:            int64(5),
		// Optionals as cel-go has them.
		`{'a': 'x'}[?'a'].orValue('y') + 'z'`:                          "xz",
		`{'a': 'x'}[?'b'].orValue('y')`:                                "y",
		`optional.none().or(optional.of(3)).value()`:                   int64(3),
		`optional.of(1).or(optional.of(dyn({})['missing'])).value()`:   int64(1),
		`dyn({'a': {}})['a'].?b.orValue(dyn('c').orValue('d'))`:        "c",
		`dyn({'a': {}})['a'].?b.orValue(optional.none().orValue('d'))`: "d",
		`[dyn(1), dyn(2)].map(v, v.orValue(0)).sum()`:                  int64(3),
	} {
		if got := eval(t, expression); got != want {
			t.Errorf("%s: got %v, want %v", expression, got, want)
		}
	}
	// An error in the receiver is the result, as before.
	if got, isErr := eval(t, `dyn({})['missing'].orValue('d')`).(error); !isErr || !strings.Contains(got.Error(), "no such key") {
		t.Errorf("error receiver: got %v", got)
	}
}

func TestOrValueOnAReceiverTypedNotOptionalStillFailsToCompile(t *testing.T) {
	env := storedEnv(t)
	_, iss := env.Compile(`'a'.orValue('b')`)
	if iss.Err() == nil || !strings.Contains(iss.Err().Error(), "'orValue' applied to 'string.(string)'") {
		t.Errorf("got %v", iss.Err())
	}
	// Types are cel-go's own: or gives an optional, orValue the type of its default.
	for expression, message := range map[string]string{
		`dyn('a').or(optional.of('b')) != 'a'`:   "'_!=_' applied to '(optional_type(string), string)'",
		`{'a': 'x'}[?'a'].orValue('y') + 1 == 2`: "'_+_' applied to '(string, int)'",
	} {
		if _, iss := env.Compile(expression); iss.Err() == nil || !strings.Contains(iss.Err().Error(), message) {
			t.Errorf("%s: got %v", expression, iss.Err())
		}
	}
}

func TestTheKubernetesEnvironmentKeepsCelGosOrValue(t *testing.T) {
	env, err := environment.MustBaseEnvSet(environment.DefaultCompatibilityVersion()).Env(environment.StoredExpressions)
	if err != nil {
		t.Fatal(err)
	}
	ast, iss := env.Compile(`dyn('Localhost').orValue('RuntimeDefault')`)
	if iss.Err() != nil {
		t.Fatal(iss.Err())
	}
	prg, err := env.Program(ast)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := prg.Eval(map[string]any{}); err == nil || !strings.Contains(err.Error(), "no such overload") {
		t.Errorf("got %v", err)
	}
}

func TestOptionalCallsAgreeOnlyOnReceiversOptionalBySyntax(t *testing.T) {
	for expression, want := range map[string]bool{
		`object.?spec.?containers.orValue([]).size() > 0`:                    true,
		`object.metadata.?labels[?'team'].orValue('') != ''`:                 true,
		`optional.none().or(optional.of(1)).orValue(2) == 1`:                 true,
		`object.?a.or(object.?b).orValue(0) == 0`:                            true,
		`object.spec.containers.all(c, c.?image.orValue('') != '')`:          true,
		`object.spec.type.orValue('x') == 'x'`:                               false,
		`object.spec.containers.all(c, c.securityContext.orValue({}) == {})`: false,
		`variables.x.orValue(1) == 1`:                                        false,
		`object.spec.(`:                                                      false,
		`has(object.spec.replicas) && object.spec.replicas > 1`:              true,
	} {
		if got := OptionalCallsAgree(expression); got != want {
			t.Errorf("%s: got %v, want %v", expression, got, want)
		}
	}
}
