package goldenreservednames

import rego.v1

# golden-reserved-names
violation contains {"msg": msg, "details": {"rule": "golden-reserved-names"}} if {
	applies
	subject := _subject
	some input2 in _list0(subject)
	some object2 in _list1(input2)
	object2.kind == "Secret"
	msg := trim_space(concat("", ["input ", _value2(input2), " reads a ", _value3(object2)]))
}

# golden-reserved-names-2
violation contains {"msg": msg, "details": {"rule": "golden-reserved-names-2"}} if {
	applies
	subject := _subject
	some data2 in _list4(subject)
	data2 == "forbidden"
	msg := trim_space(concat("", ["data ", _value5(data2), " is forbidden"]))
}

# golden-reserved-names-3
violation contains {"msg": msg, "details": {"rule": "golden-reserved-names-3"}} if {
	applies
	subject := _subject
	some if2 in _list6(subject)
	not _holds7(if2)
	msg := trim_space(concat("", ["when ", _value8(if2), " is unknown"]))
}

# golden-reserved-names-4
violation contains {"msg": msg, "details": {"rule": "golden-reserved-names-4"}} if {
	applies
	subject := _subject
	not _holds11(subject)
	msg := "no batch type"
}

# Whether the policy applies to the review (operation and precondition); every violation requires it.
applies if _operation_matches

# Gatekeeper audit reviews carry no operation; admission reviews must carry a matched one.
_operation_matches if not input.review.operation
_operation_matches if input.review.operation in {"CREATE", "UPDATE"}

_subject := input.review.object

_list0(subject) := x if {
	x := subject.spec.inputs
	is_array(x)
} else := []

_list1(input2) := x if {
	x := input2.objects
	is_array(x)
} else := []

_value2(input2) := _format(x) if {
	x := input2.name
} else := "<missing>"

_format(x) := x if is_string(x)

_format(x) := json.marshal(x) if not is_string(x)

_value3(object2) := _format(x) if {
	x := object2.kind
} else := "<missing>"

_list4(subject) := x if {
	x := subject.spec.datas
	is_array(x)
} else := []

_value5(data2) := _format(x) if {
	x := data2
} else := "<missing>"

_list6(subject) := x if {
	x := subject.spec.ifs
	is_array(x)
} else := []

_holds7(if2) if {
	if2.when == ["always", "on-success"][_]
}

_value8(if2) := _format(x) if {
	x := if2.when
} else := "<missing>"

_list10(subject) := x if {
	x := subject.spec.types
	is_array(x)
} else := []

_any9(subject) if {
	some type in _list10(subject)
	type == "batch"
}

_holds11(subject) if {
	_any9(subject)
}
