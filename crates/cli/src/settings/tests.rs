//! The settings store: a round trip, the file owner-only in an owner-only folder, secrets
//! kept as the platform protects them (DPAPI stood in for by a fake that, like DPAPI, only
//! its own user can undo), and a damaged or foreign file refused with words, never
//! overwritten silently.

use super::sealer::{AsGiven, Protector};
use super::{masked, Store};
use serde_json::{json, Map, Value};
use std::path::{Path, PathBuf};

/// DPAPI's stand-in: the bytes marked with their user and scrambled; only that user undoes them.
struct FakeDpapi {
    user: u8,
}

impl Protector for FakeDpapi {
    fn protect(&self, plain: &[u8]) -> Result<Option<Vec<u8>>, String> {
        let mut sealed = b"FAKE".to_vec();
        sealed.push(self.user);
        sealed.extend(plain.iter().map(|b| b ^ 0xA5 ^ self.user));
        Ok(Some(sealed))
    }

    fn unprotect(&self, protected: &[u8]) -> Result<Vec<u8>, String> {
        match protected {
            [b'F', b'A', b'K', b'E', user, rest @ ..] if *user == self.user => {
                Ok(rest.iter().map(|b| b ^ 0xA5 ^ self.user).collect())
            }
            _ => Err("another user's protection".into()),
        }
    }
}

fn folder(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("jdy-settings-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn account() -> Map<String, Value> {
    json!({
        "client_id": "cid-1",
        "client_secret": "client-secret-not-real",
        "app_key": "ak",
        "app_secret": "app-secret-not-real",
        "domain": "https://tf.jdy.com",
        "proxy": "socks5://shop:pa55@10.0.0.1:1080",
    })
    .as_object()
    .unwrap()
    .clone()
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::symlink_metadata(path)
        .unwrap()
        .permissions()
        .mode()
        & 0o777
}

#[test]
#[cfg(unix)]
fn settings_round_trip_in_an_owner_only_file_with_the_secrets_as_given() {
    let dir = folder("round");
    let path = dir.join("config").join("jdy-member").join("settings.json");
    let store = Store::new(path.clone(), Box::new(AsGiven));
    assert!(!store.exists());
    assert_eq!(store.load().unwrap(), None, "no file: no settings");
    store.save(&account()).unwrap();
    assert_eq!(store.load().unwrap(), Some(account()));
    assert_eq!(mode(&path), 0o600);
    assert_eq!(mode(path.parent().unwrap()), 0o700);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(super::format::FORMAT), "{text}");
    assert!(
        text.contains("client-secret-not-real"),
        "Linux keeps them as given: {text}"
    );
    // Saved again: replaced whole, no temporary file left behind.
    let mut changed = account();
    changed.insert("client_id".into(), "cid-2".into());
    store.save(&changed).unwrap();
    assert_eq!(store.load().unwrap().unwrap()["client_id"], "cid-2");
    let names: Vec<_> = std::fs::read_dir(path.parent().unwrap())
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(names, ["settings.json"]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn secrets_protected_as_dpapi_does_are_not_in_the_file_and_only_their_user_reads_them() {
    let dir = folder("dpapi");
    let path = dir.join("settings.json");
    Store::new(path.clone(), Box::new(FakeDpapi { user: 7 }))
        .save(&account())
        .unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(!text.contains("not-real"), "no secret in clear: {text}");
    let file: Value = serde_json::from_str(&text).unwrap();
    assert!(
        file["config"]["client_secret"]["dpapi"].is_string(),
        "{text}"
    );
    assert_eq!(file["config"]["client_id"], "cid-1", "the rest as given");
    let same_user = Store::new(path.clone(), Box::new(FakeDpapi { user: 7 }));
    assert_eq!(same_user.load().unwrap(), Some(account()));
    let kept = same_user.load_kept().unwrap().unwrap();
    let shown = masked(&same_user.load().unwrap().unwrap(), Some(&kept));
    assert!(shown["client_secret"]
        .as_str()
        .unwrap()
        .contains("protected with DPAPI"));
    let error = Store::new(path.clone(), Box::new(FakeDpapi { user: 8 }))
        .load()
        .unwrap_err();
    assert!(
        error
            .message
            .contains("`client_secret` cannot be read: another user's protection"),
        "{}",
        error.message
    );
    // Copied to Linux, the protected secrets say what they are.
    let error = Store::new(path.clone(), Box::new(AsGiven))
        .load()
        .unwrap_err();
    assert!(error.message.contains("Windows DPAPI"), "{}", error.message);
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        text,
        "left as it was"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_damaged_file_is_a_clear_error_and_is_left_alone() {
    let dir = folder("damaged");
    let path = dir.join("settings.json");
    let store = Store::new(path.clone(), Box::new(AsGiven));
    let cases = [
        ("{\"format\": \"jdy-member settings 1\", \"config\": ", "not valid JSON"),
        ("{\"client_id\": \"x\"}", "no settings file of this version"),
        ("{\"format\": \"jdy-member settings 1\", \"config\": []}", "no `config` object"),
        (
            "{\"format\": \"jdy-member settings 1\", \"config\": {\"client_secret\": 5}}",
            "`client_secret` cannot be read: must be text",
        ),
        (
            "{\"format\": \"jdy-member settings 1\", \"config\": {\"client_secret\": {\"dpapi\": \"%%\"}}}",
            "damaged",
        ),
    ];
    for (text, expected) in cases {
        write_private(&path, text);
        let error = store.load().unwrap_err();
        assert!(
            error.message.contains(expected),
            "{text}: {}",
            error.message
        );
        assert!(error.message.contains("left as it is"), "{}", error.message);
        assert!(error.message.contains(&path.display().to_string()));
        assert_eq!(std::fs::read_to_string(&path).unwrap(), text, "untouched");
    }
    // The page replaces it only when asked, and keeps it beside the new one.
    let aside = store.set_aside().unwrap().unwrap();
    assert_eq!(aside, dir.join("settings.json.damaged"));
    assert!(!path.exists());
    store.save(&account()).unwrap();
    assert_eq!(store.load().unwrap(), Some(account()));
    assert!(aside.exists());
    std::fs::remove_dir_all(&dir).unwrap();
}

fn write_private(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
}

#[test]
#[cfg(unix)]
fn a_file_others_can_read_or_a_link_is_refused_and_a_shared_folder_made_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = folder("perms");
    let path = dir.join("jdy-member").join("settings.json");
    let store = Store::new(path.clone(), Box::new(AsGiven));
    store.save(&account()).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let error = store.load().unwrap_err();
    assert!(
        error
            .message
            .contains("can be read by other users (mode 644)"),
        "{}",
        error.message
    );
    assert!(error.message.contains("chmod 600"), "{}", error.message);

    // A link at the settings path: never read through, and replaced (not followed) by a save.
    let victim = dir.join("victim.txt");
    std::fs::write(&victim, "precious").unwrap();
    std::fs::remove_file(&path).unwrap();
    std::os::unix::fs::symlink(&victim, &path).unwrap();
    let error = store.load().unwrap_err();
    assert!(error.message.contains("symbolic link"), "{}", error.message);
    std::fs::set_permissions(
        path.parent().unwrap(),
        std::fs::Permissions::from_mode(0o755),
    )
    .unwrap();
    store.save(&account()).unwrap();
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    assert_eq!(mode(&path), 0o600);
    assert_eq!(
        mode(path.parent().unwrap()),
        0o700,
        "the folder made private again"
    );
    assert_eq!(store.load().unwrap(), Some(account()));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn shown_settings_hide_the_secrets_and_a_proxy_password() {
    let shown = masked(&account(), None);
    assert_eq!(shown["client_secret"], "(hidden)");
    assert_eq!(shown["app_secret"], "(hidden)");
    assert_eq!(shown["proxy"], "socks5://shop:***@10.0.0.1:1080");
    assert_eq!(shown["client_id"], "cid-1");
    assert!(!Value::Object(shown).to_string().contains("not-real"));
}
