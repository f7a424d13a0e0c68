package goldenmatch

import rego.v1

# golden-match
violation contains {"msg": msg, "details": {"rule": "golden-match"}} if {
	applies
	subject := _subject
	not _holds0(subject)
	msg := trim_space(concat("", [_value1(subject), " needs an owner annotation (\"team@example.com\"), got '", _value2(subject), "'"]))
}

# Whether the policy applies to the review (operation and precondition); every violation requires it.
applies if {
	_operation_matches
	subject := _subject
	is_string(subject.metadata.name)
	startswith(subject.metadata.name, "app-")
}

# DELETE requests carry the object in oldObject.
_object := input.review.oldObject if input.review.operation == "DELETE"
_object := input.review.object if input.review.operation != "DELETE"
_object := input.review.object if not input.review.operation

# Gatekeeper audit reviews carry no operation; admission reviews must carry a matched one.
_operation_matches if not input.review.operation
_operation_matches if input.review.operation in {"CREATE", "UPDATE", "DELETE"}

_subject := _object

_holds0(subject) if {
	is_string(subject.metadata.annotations.owner)
	regex.match("^[a-z]+@example\\.com$", subject.metadata.annotations.owner)
}

_value1(subject) := _format(x) if {
	x := subject.metadata.name
} else := "<missing>"

_format(x) := x if is_string(x)

_format(x) := json.marshal(x) if not is_string(x)

_value2(subject) := _format(x) if {
	x := subject.metadata.annotations.owner
} else := "<missing>"
