//! `container_id_from_cgroup` on cgroup files as each runtime writes them.

use super::container_id_from_cgroup;

const ID: &str = "3f4e2b1c9d8a7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f";
const OTHER: &str = "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90";

fn id(contents: &str) -> Option<String> {
    container_id_from_cgroup(contents)
}

#[test]
fn docker_cgroup_v1_cgroupfs_driver() {
    let contents = format!(
        "12:hugetlb:/docker/{ID}\n\
         11:memory:/docker/{ID}\n\
         10:cpu,cpuacct:/docker/{ID}\n\
         9:pids:/docker/{ID}\n\
         1:name=systemd:/docker/{ID}\n\
         0::/system.slice/containerd.service\n"
    );
    assert_eq!(id(&contents).as_deref(), Some(ID));
}

#[test]
fn docker_cgroup_v1_systemd_driver() {
    let contents = format!(
        "5:devices:/system.slice/docker-{ID}.scope\n1:name=systemd:/system.slice/docker-{ID}.scope\n"
    );
    assert_eq!(id(&contents).as_deref(), Some(ID));
}

#[test]
fn docker_cgroup_v2() {
    assert_eq!(
        id(&format!("0::/system.slice/docker-{ID}.scope\n")).as_deref(),
        Some(ID)
    );
}

#[test]
fn containerd_cri_cgroup_v2_systemd_driver() {
    let contents = format!(
        "0::/kubepods.slice/kubepods-burstable.slice/\
         kubepods-burstable-pod6b1a0f2e_4c3d_4e5f_8a9b_0c1d2e3f4a5b.slice/cri-containerd-{ID}.scope\n"
    );
    assert_eq!(id(&contents).as_deref(), Some(ID));
}

#[test]
fn containerd_cri_cgroup_v1_cgroupfs_driver() {
    let contents = format!(
        "11:cpu,cpuacct:/kubepods/burstable/pod6b1a0f2e-4c3d-4e5f-8a9b-0c1d2e3f4a5b/{ID}\n\
         4:memory:/kubepods/burstable/pod6b1a0f2e-4c3d-4e5f-8a9b-0c1d2e3f4a5b/{ID}\n"
    );
    assert_eq!(id(&contents).as_deref(), Some(ID));
}

#[test]
fn crio_cgroup_v2() {
    let contents = format!(
        "0::/kubepods.slice/kubepods-besteffort.slice/\
         kubepods-besteffort-pod0d7c6b5a_4938_4271_a6b5_c4d3e2f1a0b9.slice/crio-{ID}.scope\n"
    );
    assert_eq!(id(&contents).as_deref(), Some(ID));
}

#[test]
fn crio_cgroup_v1_cgroupfs_driver_without_scope_suffix() {
    let contents =
        format!("7:pids:/kubepods/besteffort/pod0d7c6b5a-4938-4271-a6b5-c4d3e2f1a0b9/crio-{ID}\n");
    assert_eq!(id(&contents).as_deref(), Some(ID));
}

#[test]
fn crio_conmon_is_beside_the_container_not_in_it() {
    let contents = format!(
        "0::/kubepods.slice/kubepods-besteffort.slice/\
         kubepods-besteffort-pod0d7c6b5a_4938_4271_a6b5_c4d3e2f1a0b9.slice/crio-conmon-{ID}.scope\n"
    );
    assert_eq!(id(&contents), None);
}

#[test]
fn podman_rootful_cgroup_v2() {
    assert_eq!(
        id(&format!("0::/machine.slice/libpod-{ID}.scope\n")).as_deref(),
        Some(ID)
    );
}

#[test]
fn podman_rootless_cgroup_v2_with_a_leaf_below_the_scope() {
    let contents = format!(
        "0::/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-{ID}.scope/container\n"
    );
    assert_eq!(id(&contents).as_deref(), Some(ID));
}

#[test]
fn podman_conmon_is_not_a_container() {
    let contents = format!("0::/machine.slice/libpod-conmon-{ID}.scope\n");
    assert_eq!(id(&contents), None);
}

#[test]
fn podman_cgroup_v1() {
    let contents = format!(
        "10:memory:/machine.slice/libpod-{ID}.scope\n1:name=systemd:/machine.slice/libpod-{ID}.scope\n"
    );
    assert_eq!(id(&contents).as_deref(), Some(ID));
}

#[test]
fn nested_containers_give_the_innermost() {
    // A pod inside a kind node (itself a docker container), seen from the host.
    let contents = format!(
        "0::/system.slice/docker-{OTHER}.scope/kubelet.slice/kubelet-kubepods.slice/\
         kubelet-kubepods-besteffort.slice/cri-containerd-{ID}.scope\n"
    );
    assert_eq!(id(&contents).as_deref(), Some(ID));
}

#[test]
fn the_first_line_naming_a_container_wins() {
    let contents = format!(
        "1:name=systemd:/user.slice/user-0.slice/session-1.scope\n\
         4:memory:/docker/{OTHER}\n\
         3:cpu:/docker/{ID}\n"
    );
    assert_eq!(id(&contents).as_deref(), Some(OTHER));
}

#[test]
fn host_processes_have_no_container() {
    assert_eq!(id("0::/user.slice/user-1000.slice/session-3.scope\n"), None);
    assert_eq!(id("0::/system.slice/nginx.service\n"), None);
    assert_eq!(id("0::/init.scope\n"), None);
    // Inside a cgroup namespace a container sees its own cgroup as the root.
    assert_eq!(id("0::/\n"), None);
    assert_eq!(id(""), None);
}

#[test]
fn ids_must_be_64_hex_digits() {
    let short = &ID[..63];
    assert_eq!(
        id(&format!("0::/system.slice/docker-{short}.scope\n")),
        None
    );
    assert_eq!(id(&format!("0::/docker/{short}\n")), None);
    let not_hex = format!("{}g", &ID[..63]);
    assert_eq!(id(&format!("0::/docker/{not_hex}\n")), None);
    assert_eq!(id(&format!("0::/system.slice/docker-{ID}0.scope\n")), None);
    // Other runtimes' prefixes are not guessed at.
    assert_eq!(id(&format!("0::/system.slice/rkt-{ID}.scope\n")), None);
}

#[test]
fn malformed_lines_are_skipped() {
    let contents = format!("garbage\n12:memory\n0::/docker/{ID}\n");
    assert_eq!(id(&contents).as_deref(), Some(ID));
}
