// Package http is the CEL library of a ValidatingPolicy in HTTP mode (`spec.evaluation.mode:
// HTTP`), as the Kyverno Authz Server declares it (its kyverno.authz.http library): `object` is
// an http.CheckRequest; http.Allowed() and http.Denied(reason) build a response, `.Response()`
// makes it what a validation returns; `Header` and `QueryParam` read the request's attributes.
// The package is named http so that its native types are http.CheckRequest and so on in CEL,
// the names Kyverno's policies and errors use.
package http

import (
	"encoding/json"
	"fmt"
	"net/textproto"
	"reflect"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/ext"
)

var (
	RequestType           = types.NewObjectType("http.CheckRequest")
	RequestAttributesType = types.NewObjectType("http.CheckRequestAttributes")
	ResponseType          = types.NewObjectType("http.CheckResponse")
	ResponseOkType        = types.NewObjectType("http.CheckResponseOk")
	ResponseDeniedType    = types.NewObjectType("http.CheckResponseDenied")
)

// CheckRequest is the request an HTTP payload file holds (read with encoding/json, as the
// Kyverno CLI reads it: field names match case-insensitively, the body is base64).
type CheckRequest struct {
	Attributes CheckRequestAttributes `json:"attributes" cel:"attributes"`
}

type CheckRequestAttributes struct {
	Method        string              `json:"method" cel:"method"`
	Header        map[string][]string `json:"header" cel:"header"`
	Host          string              `json:"host" cel:"host"`
	Protocol      string              `json:"protocol" cel:"protocol"`
	ContentLength int64               `json:"contentLength" cel:"contentLength"`
	Body          []byte              `json:"body" cel:"body"`
	Scheme        string              `json:"scheme" cel:"scheme"`
	Path          string              `json:"path" cel:"path"`
	Query         map[string][]string `json:"query" cel:"query"`
	Fragment      string              `json:"fragment" cel:"fragment"`
}

// CheckResponse is a validation's answer: allowed (Ok) or denied (Denied).
type CheckResponse struct {
	Ok     *CheckResponseOk     `json:"ok,omitempty" cel:"ok"`
	Denied *CheckResponseDenied `json:"denied,omitempty" cel:"denied"`
}

type CheckResponseOk struct{}

type CheckResponseDenied struct {
	Reason string `cel:"reason"`
}

// Decode reads an HTTP payload file's text.
func Decode(raw []byte) (*CheckRequest, error) {
	var r CheckRequest
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// Lib declares the library's types and functions.
func Lib() cel.EnvOption {
	return func(env *cel.Env) (*cel.Env, error) {
		env, err := env.Extend(ext.NativeTypes(
			reflect.TypeFor[CheckRequest](),
			reflect.TypeFor[CheckResponse](),
			ext.ParseStructTags(true),
		))
		if err != nil {
			return nil, err
		}
		a := env.CELTypeAdapter()
		str := cel.StringType
		return env.Extend(
			cel.Function("http.Allowed", cel.Overload("http_allowed", nil, ResponseOkType,
				cel.FunctionBinding(func(...ref.Val) ref.Val { return a.NativeToValue(CheckResponseOk{}) }))),
			cel.Function("http.Denied", cel.Overload("http_denied_string", []*cel.Type{str}, ResponseDeniedType,
				cel.UnaryBinding(func(reason ref.Val) ref.Val {
					s, ok := reason.(types.String)
					if !ok {
						return types.NoSuchOverloadErr()
					}
					return a.NativeToValue(CheckResponseDenied{Reason: string(s)})
				}))),
			cel.Function("Header", cel.MemberOverload("http_get_header_string", []*cel.Type{RequestAttributesType, str}, cel.ListType(str),
				cel.BinaryBinding(func(attrs, key ref.Val) ref.Val {
					return attribute(a, attrs, key, func(at *CheckRequestAttributes, k string) []string {
						// Canonical header names, as Go's net/http keeps them.
						return textproto.MIMEHeader(at.Header).Values(k)
					})
				}))),
			cel.Function("QueryParam", cel.MemberOverload("http_get_queryparam_string", []*cel.Type{RequestAttributesType, str}, cel.ListType(str),
				cel.BinaryBinding(func(attrs, key ref.Val) ref.Val {
					return attribute(a, attrs, key, func(at *CheckRequestAttributes, k string) []string { return at.Query[k] })
				}))),
			cel.Function("Response",
				cel.MemberOverload("http_response_ok", []*cel.Type{ResponseOkType}, ResponseType,
					cel.UnaryBinding(func(v ref.Val) ref.Val {
						ok, err := native[CheckResponseOk](v)
						if err != nil {
							return types.WrapErr(err)
						}
						return a.NativeToValue(&CheckResponse{Ok: &ok})
					})),
				cel.MemberOverload("http_response_denied", []*cel.Type{ResponseDeniedType}, ResponseType,
					cel.UnaryBinding(func(v ref.Val) ref.Val {
						denied, err := native[CheckResponseDenied](v)
						if err != nil {
							return types.WrapErr(err)
						}
						return a.NativeToValue(&CheckResponse{Denied: &denied})
					}))),
		)
	}
}

func native[T any](v ref.Val) (T, error) {
	var zero T
	out, err := v.ConvertToNative(reflect.TypeFor[T]())
	if err != nil {
		return zero, err
	}
	switch o := out.(type) {
	case T:
		return o, nil
	case *T:
		return *o, nil
	}
	return zero, fmt.Errorf("%s is no %s", v.Type().TypeName(), reflect.TypeFor[T]())
}

func attribute(a types.Adapter, attrs, key ref.Val, get func(*CheckRequestAttributes, string) []string) ref.Val {
	at, err := native[CheckRequestAttributes](attrs)
	if err != nil {
		return types.WrapErr(err)
	}
	k, ok := key.(types.String)
	if !ok {
		return types.NoSuchOverloadErr()
	}
	values := get(&at, string(k))
	if values == nil {
		values = []string{}
	}
	return a.NativeToValue(values)
}
