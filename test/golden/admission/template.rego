package goldenadmission

import rego.v1

# immutable-label
violation contains {"msg": msg, "details": {"rule": "immutable-label"}} if {
	applies
	subject := _subject
	input.review.operation == "UPDATE"
	_ = _old_subject.metadata.labels[input.parameters.lockedLabel]
	not subject.metadata.labels[input.parameters.lockedLabel] == _old_subject.metadata.labels[input.parameters.lockedLabel]
	msg := trim_space(concat("", ["label ", _value0, " may not change (it was ", _value1, ")"]))
}

# scale-to-zero
violation contains {"msg": msg, "details": {"rule": "scale-to-zero"}} if {
	applies
	subject := _subject
	not _holds2(subject)
	not _any3
	msg := "only platform admins may scale a Deployment to zero"
}

# no-self-management
violation contains {"msg": msg, "details": {"rule": "no-self-management"}} if {
	applies
	subject := _subject
	object.get(input.review, ["userInfo", "username"], "") == _join_strings(
		["system:serviceaccount:", object.get(input.review, "namespace", ""), ":", subject.metadata.name],
		"",
	)
	msg := "a workload's own service account may not change it"
}

# Whether the policy applies to the review (operation and precondition); every violation requires it.
applies if _operation_matches

# The policy reads what only an admission request has (the old object, the operation or the user): audit reviews, which carry no operation, are not checked.
_operation_matches if input.review.operation in {"CREATE", "UPDATE"}

_subject := input.review.object

# The existing object (UPDATE, DELETE).
_old_subject := input.review.oldObject

_value0 := _format(x) if {
	x := input.parameters.lockedLabel
} else := "<missing>"

_format(x) := x if is_string(x)

_format(x) := json.marshal(x) if not is_string(x)

_value1 := _format(x) if {
	x := _old_subject.metadata.labels[input.parameters.lockedLabel]
} else := "<missing>"

_holds2(subject) if {
	is_number(subject.spec.replicas)
	subject.spec.replicas > 0
}

_list4 := x if {
	x := object.get(input.review, ["userInfo", "groups"], [])
	is_array(x)
} else := []

_list5 := x if {
	x := input.parameters.adminGroups
	is_array(x)
} else := []

_any3 if {
	some group in _list4
	group == _list5[_]
}

# Strings joined end to end (or with a separator); undefined when an item is not a string.
_join_strings(xs, sep) := concat(sep, xs) if {
	is_array(xs)
	every x in xs {
		is_string(x)
	}
}
