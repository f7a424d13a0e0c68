package goldenparamseverywhere

import rego.v1

# required-labels
violation contains {"msg": msg, "details": {"rule": "required-labels"}} if {
	applies
	subject := _subject
	some required in _list0
	not _holds1(subject, required)
	msg := trim_space(concat("", ["label ", _value2(required), " must match ", _value3(required)]))
}

# team
violation contains {"msg": msg, "details": {"rule": "team"}} if {
	applies
	subject := _subject
	input.parameters.requireTeam == true
	not _holds4(subject)
	msg := "a team label is required"
}

# replicas
violation contains {"msg": msg, "details": {"rule": "replicas"}} if {
	applies
	subject := _subject
	not _holds5(subject)
	msg := "too many replicas"
}

# Whether the policy applies to the review (operation and precondition); every violation requires it.
applies if _operation_matches

# Gatekeeper audit reviews carry no operation; admission reviews must carry a matched one.
_operation_matches if not input.review.operation
_operation_matches if input.review.operation in {"CREATE", "UPDATE"}

_subject := input.review.object

_list0 := x if {
	x := input.parameters.required
	is_array(x)
} else := []

_as_list(x) := x if is_array(x)

_as_list(x) := [x] if not is_array(x)

_holds1(subject, required) if {
	is_string(subject.metadata.labels[required.key])
	regex.match(_as_list(required.pattern)[_], subject.metadata.labels[required.key])
}

_value2(required) := _format(x) if {
	x := required.key
} else := "<missing>"

_format(x) := x if is_string(x)

_format(x) := json.marshal(x) if not is_string(x)

_value3(required) := _format(x) if {
	x := required.pattern
} else := "<missing>"

_holds4(subject) if {
	_ = subject.metadata.labels[input.parameters.teamKey]
}

_holds5(subject) if {
	is_number(subject.spec.replicas)
	is_number(input.parameters.maxReplicas)
	subject.spec.replicas <= input.parameters.maxReplicas
}
