//! Handing a filesystem from one shell of a login to the next (the SSH channels of one
//! connection): what one wrote, the next sees; the two are otherwise separate processes.

use sikker_shell::{Persona, Shell, System};

#[test]
fn a_file_written_in_one_shell_is_seen_by_the_next() {
    let system = System::new(Persona::generate(7));
    let mut upload = Shell::new(&system, "root");
    upload
        .write_file("/tmp/x.sh", b"#!/bin/sh\necho hi\n")
        .expect("write");
    upload.execute("mkdir -p /opt/kit; echo 1 > /opt/kit/v; export SECRET=1; cd /opt");

    let mut later = Shell::new(&system, "root");
    assert_ne!(
        later.execute("cat /tmp/x.sh").exit_code,
        0,
        "not handed yet"
    );
    later.set_filesystem(upload.filesystem());
    let o = later.execute("cat /tmp/x.sh; cat /opt/kit/v; echo \"[$SECRET]\"; pwd");
    assert_eq!(
        String::from_utf8_lossy(&o.output),
        "#!/bin/sh\necho hi\n1\n[]\n/root\n",
        "files travel; variables and the working directory do not"
    );

    // The copies are independent until handed again.
    later.execute("rm /tmp/x.sh");
    assert_eq!(upload.execute("test -f /tmp/x.sh").exit_code, 0);
    upload.set_filesystem(later.filesystem());
    assert_ne!(upload.execute("test -f /tmp/x.sh").exit_code, 0);
}
