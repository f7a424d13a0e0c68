// Package envoy is the CEL library of a ValidatingPolicy in Envoy mode (`spec.evaluation.mode:
// Envoy`), as the Kyverno Authz Server declares it (its kyverno.envoy library): `object` is
// Envoy's external authorization request (envoy.service.auth.v3.CheckRequest, the protobuf
// message itself); envoy.Allowed() and envoy.Denied(code) build the HTTP answer, With… and
// Without… change it, and `.Response()` makes it the CheckResponse a validation returns.
package envoy

import (
	"fmt"
	"reflect"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
	typesv3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"
	"google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
)

var (
	CheckRequest       = types.NewObjectType("envoy.service.auth.v3.CheckRequest")
	CheckResponse      = types.NewObjectType("envoy.service.auth.v3.CheckResponse")
	DeniedHttpResponse = types.NewObjectType("envoy.service.auth.v3.DeniedHttpResponse")
	OkHttpResponse     = types.NewObjectType("envoy.service.auth.v3.OkHttpResponse")
	HeaderValueOption  = types.NewObjectType("envoy.config.core.v3.HeaderValueOption")
	QueryParameter     = types.NewObjectType("envoy.config.core.v3.QueryParameter")
	Metadata           = types.NewObjectType("google.protobuf.Struct")
)

// Decode reads an Envoy payload file's text as the Kyverno CLI does (protojson: the message's
// JSON mapping; an unknown field is an error).
func Decode(raw []byte) (*authv3.CheckRequest, error) {
	var r authv3.CheckRequest
	if err := protojson.Unmarshal(raw, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// Lib declares the library's types and functions.
func Lib() cel.EnvOption {
	return func(env *cel.Env) (*cel.Env, error) {
		env, err := env.Extend(cel.Types(
			(*authv3.CheckRequest)(nil),
			(*authv3.DeniedHttpResponse)(nil),
			(*authv3.OkHttpResponse)(nil),
			(*status.Status)(nil),
			(*structpb.Struct)(nil),
		))
		if err != nil {
			return nil, err
		}
		l := lib{env.CELTypeAdapter()}
		str, integer, boolean := cel.StringType, cel.IntType, cel.BoolType
		return env.Extend(
			cel.Function("envoy.Allowed", cel.Overload("allowed", nil, OkHttpResponse,
				cel.FunctionBinding(func(...ref.Val) ref.Val { return l.NativeToValue(&authv3.OkHttpResponse{}) }))),
			cel.Function("envoy.Denied", cel.Overload("denied", []*cel.Type{integer}, DeniedHttpResponse, cel.UnaryBinding(l.denied))),
			cel.Function("envoy.Header", cel.Overload("header_key_value", []*cel.Type{str, str}, HeaderValueOption, cel.BinaryBinding(l.header))),
			cel.Function("envoy.QueryParam", cel.Overload("queryparam_key_value", []*cel.Type{str, str}, QueryParameter, cel.BinaryBinding(l.queryParam))),
			cel.Function("WithBody", cel.MemberOverload("denied_with_body", []*cel.Type{DeniedHttpResponse, str}, DeniedHttpResponse, cel.BinaryBinding(l.withBody))),
			cel.Function("WithHeader",
				cel.MemberOverload("ok_with_header_header", []*cel.Type{OkHttpResponse, HeaderValueOption}, OkHttpResponse, cel.BinaryBinding(l.okHeader(okHeaders))),
				cel.MemberOverload("ok_with_header_string_string", []*cel.Type{OkHttpResponse, str, str}, OkHttpResponse, cel.FunctionBinding(l.kv(l.header, l.okHeader(okHeaders)))),
				cel.MemberOverload("denied_with_header_header", []*cel.Type{DeniedHttpResponse, HeaderValueOption}, DeniedHttpResponse, cel.BinaryBinding(l.deniedHeader)),
				cel.MemberOverload("denied_with_header_string_string", []*cel.Type{DeniedHttpResponse, str, str}, DeniedHttpResponse, cel.FunctionBinding(l.kv(l.header, l.deniedHeader)))),
			cel.Function("WithoutHeader", cel.MemberOverload("ok_without_header", []*cel.Type{OkHttpResponse, str}, OkHttpResponse, cel.BinaryBinding(l.withoutHeader))),
			cel.Function("WithResponseHeader",
				cel.MemberOverload("ok_with_response_header_header", []*cel.Type{OkHttpResponse, HeaderValueOption}, OkHttpResponse, cel.BinaryBinding(l.okHeader(okResponseHeaders))),
				cel.MemberOverload("ok_with_response_header_string_string", []*cel.Type{OkHttpResponse, str, str}, OkHttpResponse, cel.FunctionBinding(l.kv(l.header, l.okHeader(okResponseHeaders))))),
			cel.Function("WithQueryParam",
				cel.MemberOverload("ok_with_queryparam_param", []*cel.Type{OkHttpResponse, QueryParameter}, OkHttpResponse, cel.BinaryBinding(l.withQueryParam)),
				cel.MemberOverload("ok_with_queryparam_string_string", []*cel.Type{OkHttpResponse, str, str}, OkHttpResponse, cel.FunctionBinding(l.kv(l.queryParam, l.withQueryParam)))),
			cel.Function("WithoutQueryParam", cel.MemberOverload("ok_without_queryparam_string", []*cel.Type{OkHttpResponse, str}, OkHttpResponse, cel.BinaryBinding(l.withoutQueryParam))),
			cel.Function("KeepEmptyValue",
				cel.MemberOverload("header_keep_empty_value", []*cel.Type{HeaderValueOption}, HeaderValueOption,
					cel.UnaryBinding(func(h ref.Val) ref.Val { return l.keepEmpty(h, types.True) })),
				cel.MemberOverload("header_keep_empty_value_bool", []*cel.Type{HeaderValueOption, boolean}, HeaderValueOption, cel.BinaryBinding(l.keepEmpty))),
			cel.Function("Response",
				cel.MemberOverload("ok_response", []*cel.Type{OkHttpResponse}, CheckResponse, cel.UnaryBinding(l.okResponse)),
				cel.MemberOverload("denied_response", []*cel.Type{DeniedHttpResponse}, CheckResponse, cel.UnaryBinding(l.deniedResponse))),
			cel.Function("WithMessage", cel.MemberOverload("response_ok_with_message", []*cel.Type{CheckResponse, str}, CheckResponse, cel.BinaryBinding(l.withMessage))),
			cel.Function("WithMetadata", cel.MemberOverload("response_ok_with_metadata", []*cel.Type{CheckResponse, Metadata}, CheckResponse, cel.BinaryBinding(l.withMetadata))),
		)
	}
}

type lib struct{ types.Adapter }

var reflectStruct = reflect.TypeOf(&structpb.Struct{})

// message is a copy of the protobuf message a CEL value holds: a With… call changes the copy,
// never a value another expression may still read.
func message[T proto.Message](v ref.Val) (T, error) {
	var zero T
	m, ok := v.Value().(T)
	if !ok {
		return zero, fmt.Errorf("%s is no %T", v.Type().TypeName(), zero)
	}
	return proto.Clone(m).(T), nil
}

func str(v ref.Val) (string, error) {
	s, ok := v.(types.String)
	if !ok {
		return "", fmt.Errorf("%s is no string", v.Type().TypeName())
	}
	return string(s), nil
}

func (l lib) denied(code ref.Val) ref.Val {
	c, ok := code.(types.Int)
	if !ok {
		return types.NoSuchOverloadErr()
	}
	return l.NativeToValue(&authv3.DeniedHttpResponse{Status: &typesv3.HttpStatus{Code: typesv3.StatusCode(c)}})
}

// keyValue is the message build makes of two strings (envoy.Header, envoy.QueryParam).
func (l lib) keyValue(key, value ref.Val, build func(k, v string) proto.Message) ref.Val {
	k, err := str(key)
	if err != nil {
		return types.WrapErr(err)
	}
	v, err := str(value)
	if err != nil {
		return types.WrapErr(err)
	}
	return l.NativeToValue(build(k, v))
}

func (l lib) header(key, value ref.Val) ref.Val {
	return l.keyValue(key, value, func(k, v string) proto.Message {
		return &corev3.HeaderValueOption{Header: &corev3.HeaderValue{Key: k, Value: v}}
	})
}

func (l lib) queryParam(key, value ref.Val) ref.Val {
	return l.keyValue(key, value, func(k, v string) proto.Message { return &corev3.QueryParameter{Key: k, Value: v} })
}

// with is a copy of the message target holds, changed by apply with the argument read from arg:
// what every With…, Without… and KeepEmptyValue call does.
func with[M proto.Message, A any](l lib, target, arg ref.Val, read func(ref.Val) (A, error), apply func(M, A)) ref.Val {
	m, err := message[M](target)
	if err != nil {
		return types.WrapErr(err)
	}
	a, err := read(arg)
	if err != nil {
		return types.WrapErr(err)
	}
	apply(m, a)
	return l.NativeToValue(m)
}

func boolean(v ref.Val) (bool, error) {
	b, ok := v.(types.Bool)
	if !ok {
		return false, fmt.Errorf("%s is no bool", v.Type().TypeName())
	}
	return bool(b), nil
}

func metadataStruct(v ref.Val) (*structpb.Struct, error) {
	md, err := v.ConvertToNative(reflectStruct)
	if err != nil {
		return nil, err
	}
	return md.(*structpb.Struct), nil
}

var (
	headerOption   = message[*corev3.HeaderValueOption]
	queryParameter = message[*corev3.QueryParameter]
)

func (l lib) withBody(denied, body ref.Val) ref.Val {
	return with(l, denied, body, str, func(d *authv3.DeniedHttpResponse, s string) { d.Body = s })
}

// Where an OkHttpResponse's headers go: the request's headers to add, or the response's.
func okHeaders(ok *authv3.OkHttpResponse) *[]*corev3.HeaderValueOption { return &ok.Headers }
func okResponseHeaders(ok *authv3.OkHttpResponse) *[]*corev3.HeaderValueOption {
	return &ok.ResponseHeadersToAdd
}

func (l lib) okHeader(list func(*authv3.OkHttpResponse) *[]*corev3.HeaderValueOption) func(ref.Val, ref.Val) ref.Val {
	return func(okv, header ref.Val) ref.Val {
		return with(l, okv, header, headerOption, func(ok *authv3.OkHttpResponse, h *corev3.HeaderValueOption) {
			*list(ok) = append(*list(ok), h)
		})
	}
}

// kv is a With…(key, value) overload: the option built from key and value, then the one-argument overload.
func (l lib) kv(build func(k, v ref.Val) ref.Val, apply func(target, option ref.Val) ref.Val) func(...ref.Val) ref.Val {
	return func(args ...ref.Val) ref.Val {
		option := build(args[1], args[2])
		if types.IsError(option) {
			return option
		}
		return apply(args[0], option)
	}
}

func (l lib) deniedHeader(deniedv, header ref.Val) ref.Val {
	return with(l, deniedv, header, headerOption, func(d *authv3.DeniedHttpResponse, h *corev3.HeaderValueOption) {
		d.Headers = append(d.Headers, h)
	})
}

func (l lib) withoutHeader(okv, name ref.Val) ref.Val {
	return with(l, okv, name, str, func(ok *authv3.OkHttpResponse, n string) { ok.HeadersToRemove = append(ok.HeadersToRemove, n) })
}

func (l lib) withQueryParam(okv, param ref.Val) ref.Val {
	return with(l, okv, param, queryParameter, func(ok *authv3.OkHttpResponse, p *corev3.QueryParameter) {
		ok.QueryParametersToSet = append(ok.QueryParametersToSet, p)
	})
}

func (l lib) withoutQueryParam(okv, name ref.Val) ref.Val {
	return with(l, okv, name, str, func(ok *authv3.OkHttpResponse, n string) {
		ok.QueryParametersToRemove = append(ok.QueryParametersToRemove, n)
	})
}

func (l lib) keepEmpty(header, flag ref.Val) ref.Val {
	return with(l, header, flag, boolean, func(h *corev3.HeaderValueOption, b bool) { h.KeepEmptyValue = b })
}

func (l lib) okResponse(okv ref.Val) ref.Val {
	ok, err := message[*authv3.OkHttpResponse](okv)
	if err != nil {
		return types.WrapErr(err)
	}
	return l.NativeToValue(&authv3.CheckResponse{
		Status:       &status.Status{Code: int32(codes.OK)},
		HttpResponse: &authv3.CheckResponse_OkResponse{OkResponse: ok},
	})
}

func (l lib) deniedResponse(deniedv ref.Val) ref.Val {
	d, err := message[*authv3.DeniedHttpResponse](deniedv)
	if err != nil {
		return types.WrapErr(err)
	}
	return l.NativeToValue(&authv3.CheckResponse{
		Status:       &status.Status{Code: int32(codes.PermissionDenied)},
		HttpResponse: &authv3.CheckResponse_DeniedResponse{DeniedResponse: d},
	})
}

func (l lib) withMessage(response, msg ref.Val) ref.Val {
	return with(l, response, msg, str, func(r *authv3.CheckResponse, m string) {
		if r.Status == nil {
			r.Status = &status.Status{}
		}
		r.Status.Message = m
	})
}

func (l lib) withMetadata(response, metadata ref.Val) ref.Val {
	return with(l, response, metadata, metadataStruct, func(r *authv3.CheckResponse, md *structpb.Struct) { r.DynamicMetadata = md })
}
