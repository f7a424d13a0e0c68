package main

import (
	"reflect"

	"google.golang.org/protobuf/types/known/structpb"
)

// CEL values convert to protobuf's Value, whose JSON form is plain JSON.
var jsonValueType = reflect.TypeOf(&structpb.Value{})
