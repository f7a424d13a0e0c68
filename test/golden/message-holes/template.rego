package goldenmessageholes

import rego.v1

# golden-message-holes
violation contains {"msg": msg, "details": {"rule": "golden-message-holes"}} if {
	applies
	subject := _subject
	not _holds1(subject)
	msg := trim_space(concat("", [_value2, " in ", _value3, " sets hostAliases (team ", _value4(subject), ")."]))
}

# Whether the policy applies to the review (operation and precondition); every violation requires it.
applies if _operation_matches

# Gatekeeper audit reviews carry no operation; admission reviews must carry a matched one.
_operation_matches if not input.review.operation
_operation_matches if input.review.operation in {"CREATE", "UPDATE"}

# The pod the rules read: the Pod itself, or the pod template of a controller.
_subject := input.review.object if input.review.object.kind == "Pod"
_subject := object.get(object.get(input.review.object, "spec", {}), "template", {}) if input.review.object.kind in {
	"Deployment",
	"StatefulSet",
	"DaemonSet",
	"ReplicaSet",
	"Job",
}
_subject := object.get(
	object.get(object.get(object.get(input.review.object, "spec", {}), "jobTemplate", {}), "spec", {}),
	"template",
	{},
) if input.review.object.kind in {"CronJob"}

_list0(subject) := x if {
	x := subject.spec.hostAliases
	is_array(x)
} else := []

_holds1(subject) if {
	count(_list0(subject)) == 0
}

_value2 := _format(x) if {
	x := input.review.object.metadata.name
} else := "<missing>"

_format(x) := x if is_string(x)

_format(x) := json.marshal(x) if not is_string(x)

_value3 := _format(x) if {
	x := input.review.object.metadata.namespace
} else := "<missing>"

_value4(subject) := _format(x) if {
	x := subject.metadata.labels.team
} else := "<missing>"
