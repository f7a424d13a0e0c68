package kyverno

import (
	"reflect"

	"google.golang.org/protobuf/types/known/structpb"
)

// JSONValueType is what CEL values convert to for their JSON form: protobuf's Value, whose JSON is plain JSON.
var JSONValueType = reflect.TypeOf(&structpb.Value{})
