package agent

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ManifestOptions say what the node agent's DaemonSet runs and where.
type ManifestOptions struct {
	Image     string // holds rampart at /usr/local/bin/rampart (make image)
	Namespace string // default rampart-system
	// Profiles is a directory whose files become the ConfigMap.
	Profiles string
	// SeccompDir is the kubelet's seccomp root on the nodes (default
	// /var/lib/kubelet/seccomp).
	SeccompDir string
	// APIServer, when set, is the address the agent reaches the API
	// server at, for clusters whose Service addresses a host-network
	// Pod cannot reach.
	APIServer string
	// HostNetwork runs the agent in the node's network namespace, for
	// clusters whose Pod network does not reach the API server: a
	// privilege the agent otherwise goes without.
	HostNetwork bool
}

// Name is the agent's name: DaemonSet, ServiceAccount, ClusterRole,
// ConfigMap.
const Name = "rampart-node-agent"

// The agent's paths in its container.
const (
	profilesMount = "/etc/rampart/profiles"
	seccompMount  = "/host-seccomp"
	hostRoot      = "/host"
	// scratch is where the host's apparmor_parser reads its copies: the
	// same path in the container and on the host.
	scratch = "/run/rampart-agent"
)

// Manifests are the node agent's objects: its Namespace, ServiceAccount,
// a ClusterRole that lets it read and label nodes and nothing else, the
// binding, the ConfigMap of profiles, and the DaemonSet.
//
// Its privileges, each for one job: root (uid 0), to write the kubelet's
// root-owned seccomp directory; capabilities MAC_ADMIN (load AppArmor
// policy) and SYS_CHROOT (run the host's apparmor_parser in the host's
// root), every other one dropped; the host's root read-only, for the
// parser and its includes, and its securityfs; a hostPath for the
// kubelet's seccomp directory and one for the parser's copies; no host
// PID or IPC, and no host network unless HostNetwork; no_new_privs;
// RuntimeDefault seccomp, and the agent's own filter on top
// (SeccompProfile, loaded by the agent itself); a read-only root
// filesystem. AppArmor:
// unconfined, for a profile that lets a task load policy confines
// nothing that matters (the kubelet accepts Unconfined on nodes without
// AppArmor too).
func Manifests(o ManifestOptions) ([]any, error) {
	if o.Image == "" {
		return nil, fmt.Errorf("no image: give the image that holds rampart (make image builds one)")
	}
	if o.Namespace == "" {
		o.Namespace = "rampart-system"
	}
	if o.SeccompDir == "" {
		o.SeccompDir = "/var/lib/kubelet/seccomp"
	}
	cm := &corev1.ConfigMap{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: meta(o.Namespace), Data: map[string]string{}}
	if o.Profiles != "" {
		entries, err := os.ReadDir(o.Profiles)
		if err != nil {
			return nil, fmt.Errorf("--profiles: %w", err)
		}
		for _, e := range entries {
			if e.IsDir() || strings.HasPrefix(e.Name(), ".") {
				continue
			}
			b, err := os.ReadFile(filepath.Join(o.Profiles, e.Name()))
			if err != nil {
				return nil, err
			}
			cm.Data[e.Name()] = string(b)
		}
	}
	labels := map[string]string{"app.kubernetes.io/name": Name}
	dirOrCreate := corev1.HostPathDirectoryOrCreate
	dir := corev1.HostPathDirectory
	env := []corev1.EnvVar{
		{Name: "NODE_NAME", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "spec.nodeName"}}},
		{Name: "TMPDIR", Value: scratch},
	}
	if o.APIServer != "" {
		env = append(env, corev1.EnvVar{Name: "RAMPART_API_SERVER", Value: o.APIServer})
	}
	ds := &appsv1.DaemonSet{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "DaemonSet"},
		ObjectMeta: meta(o.Namespace),
		Spec: appsv1.DaemonSetSpec{
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					ServiceAccountName: Name,
					HostNetwork:        o.HostNetwork,
					// Every node, tainted or not: a node without the agent
					// is a node without the profiles.
					Tolerations:       []corev1.Toleration{{Operator: corev1.TolerationOpExists}},
					PriorityClassName: "system-node-critical",
					Containers: []corev1.Container{{
						Name:  "agent",
						Image: o.Image,
						// A node runs the image it has: pin the tag.
						ImagePullPolicy: corev1.PullIfNotPresent,
						Command:         []string{"/usr/local/bin/rampart", "node-agent", "--profiles", profilesMount, "--seccomp-dir", seccompMount, "--host-root", hostRoot},
						Env:             env,
						SecurityContext: &corev1.SecurityContext{
							RunAsUser:                ptr(int64(0)),
							AllowPrivilegeEscalation: ptr(false),
							ReadOnlyRootFilesystem:   ptr(true),
							Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}, Add: []corev1.Capability{"MAC_ADMIN", "SYS_CHROOT"}},
							SeccompProfile:           &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
							AppArmorProfile:          &corev1.AppArmorProfile{Type: corev1.AppArmorProfileTypeUnconfined},
						},
						Resources: corev1.ResourceRequirements{},
						VolumeMounts: []corev1.VolumeMount{
							{Name: "profiles", MountPath: profilesMount, ReadOnly: true},
							{Name: "seccomp", MountPath: seccompMount},
							{Name: "host", MountPath: hostRoot, ReadOnly: true},
							{Name: "scratch", MountPath: scratch},
						},
					}},
					Volumes: []corev1.Volume{
						{Name: "profiles", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: Name}}}},
						{Name: "seccomp", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: o.SeccompDir, Type: &dirOrCreate}}},
						{Name: "host", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/", Type: &dir}}},
						{Name: "scratch", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: scratch, Type: &dirOrCreate}}},
					},
				},
			},
		},
	}
	objs := []any{
		// privileged: the probe Pods (ProbePod) run here, and a cluster
		// whose Pod Security default is stricter would refuse them.
		&corev1.Namespace{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"}, ObjectMeta: metav1.ObjectMeta{Name: o.Namespace,
			Labels: map[string]string{"pod-security.kubernetes.io/enforce": "privileged"}}},
		&corev1.ServiceAccount{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ServiceAccount"}, ObjectMeta: meta(o.Namespace)},
		&rbacv1.ClusterRole{TypeMeta: metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRole"}, ObjectMeta: metav1.ObjectMeta{Name: Name},
			Rules: []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"nodes"}, Verbs: []string{"get", "patch"}}}},
		&rbacv1.ClusterRoleBinding{TypeMeta: metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRoleBinding"}, ObjectMeta: metav1.ObjectMeta{Name: Name},
			RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: Name},
			Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Name: Name, Namespace: o.Namespace}}},
		cm, ds,
	}
	return objs, nil
}

func meta(ns string) metav1.ObjectMeta { return metav1.ObjectMeta{Name: Name, Namespace: ns} }

func ptr[T any](v T) *T { return &v }
