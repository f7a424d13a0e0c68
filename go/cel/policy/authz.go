package policy

import (
	"encoding/json"

	"policyc/cel/authz"
	"policyc/cel/kyverno"
	"policyc/cel/protocol"
)

// CompileAuthz compiles a ValidatingPolicy in HTTP or Envoy mode (package authz) under the
// request's id.
func (s *Store) CompileAuthz(req *protocol.Request) protocol.Response {
	p, problems, err := authz.Compile(req.Policy)
	if err != nil {
		return protocol.Fail(protocol.InvalidDocument, "policy: %v", err)
	}
	if len(problems) > 0 {
		r := protocol.Fail(protocol.CompileError, "%s: %s", problems[0].Field, problems[0].Message)
		r.Problems = problems
		return r
	}
	s.authz[req.ID] = p
	return protocol.Response{OK: true}
}

// Authorize is the decision of the compiled policy of the request's id on the request the
// admission's object holds (an HTTP or Envoy payload); Kyverno's libraries see the admission's
// cluster and context. The answer's Value is an authz.Decision.
func (s *Store) Authorize(req *protocol.Request) protocol.Response {
	p, a, fail := compiledFor(s, s.authz, req, "policy")
	if fail != nil {
		return *fail
	}
	kyverno.SetRequest(a.lookups, a.in.Kyverno, a.contextObjects)
	request, err := p.Decode(a.in.Object)
	if err != nil {
		return protocol.Fail(protocol.InvalidDocument, "payload: %v", err)
	}
	value, err := json.Marshal(p.Evaluate(request))
	if err != nil {
		return protocol.Fail(protocol.Internal, "decision: %v", err)
	}
	return protocol.Response{OK: true, Value: value}
}
