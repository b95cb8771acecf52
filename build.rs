//! Gives libust.so its soname (libust.so.1) and puts the libust.so.1 link
//! next to it, so programs linked with `-L target/<profile> -lust` run with
//! `LD_LIBRARY_PATH=target/<profile>`.

fn main() {
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libust.so.1");
    println!("cargo:rerun-if-changed=build.rs");
    let out = std::path::PathBuf::from(std::env::var("OUT_DIR").unwrap());
    // OUT_DIR is <target>/<profile>/build/<pkg>-<hash>/out.
    if let Some(profile_dir) = out.ancestors().nth(3) {
        let link = profile_dir.join("libust.so.1");
        if std::fs::symlink_metadata(&link).is_err() {
            let _ = std::os::unix::fs::symlink("libust.so", &link);
        }
    }
}
