package goldenmessages

import rego.v1

# golden-messages
violation contains {"msg": msg, "details": {"rule": "golden-messages"}} if {
	applies
	subject := _subject
	some initContainer in _list0(subject)
	initContainer.securityContext.privileged == true
	msg := trim_space(concat("", [_value1(initContainer), " is privileged"]))
}

# golden-messages-2
violation contains {"msg": msg, "details": {"rule": "golden-messages-2"}} if {
	applies
	subject := _subject
	some initContainer in _list2(subject)
	not initContainer.securityContext.allowPrivilegeEscalation == false
	msg := trim_space(concat("", [_value3(initContainer), " may escalate privileges"]))
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
	x := subject.spec.initContainers
	is_array(x)
} else := []

_value1(initContainer) := _format(x) if {
	x := initContainer.name
} else := "<missing>"

_format(x) := x if is_string(x)

_format(x) := json.marshal(x) if not is_string(x)

_list2(subject) := x if {
	x := subject.spec.initContainers
	is_array(x)
} else := []

_value3(initContainer) := _format(x) if {
	x := initContainer.name
} else := "<missing>"
