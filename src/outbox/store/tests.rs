use super::*;

fn folder(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("jdy-outbox-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    secure_file::create_private_folder(&dir).unwrap();
    dir
}

fn member(mobile: &str, name: &str) -> Map<String, Value> {
    serde_json::json!({"mobile": mobile, "name": name})
        .as_object()
        .unwrap()
        .clone()
}

#[test]
fn items_go_through_their_states_and_survive_reopening() {
    let dir = folder("states");
    let path = dir.join("outbox.db");
    let outbox = Outbox::open(&path).unwrap();
    let (first, merged) = outbox.add(&member("13800000001", "甲"), false).unwrap();
    assert!(!merged && first.state == State::Queued && first.outbox_id.starts_with("ob-"));
    let (again, merged) = outbox.add(&member("13800000001", "甲改"), false).unwrap();
    assert!(merged, "a queued mobile is replaced");
    assert_eq!(again.outbox_id, first.outbox_id);
    assert_eq!(again.member["name"], "甲改");
    outbox.add(&member("13800000002", "乙"), false).unwrap();
    drop(outbox);

    let outbox = Outbox::open(&path).unwrap();
    let claimed = outbox
        .claim(Duration::from_secs(60), true)
        .unwrap()
        .unwrap();
    assert_eq!(claimed.outbox_id, first.outbox_id, "oldest first");
    outbox
        .saved(&claimed, &serde_json::json!({"id": "1"}))
        .unwrap();
    let second = outbox
        .claim(Duration::from_secs(60), true)
        .unwrap()
        .unwrap();
    let refusal =
        Error::new(crate::error::ErrorKind::Api, "refused").with_errcode(1, Some("不行".into()));
    outbox.refused(&second, &refusal).unwrap();
    assert!(outbox
        .claim(Duration::from_secs(60), true)
        .unwrap()
        .is_none());
    let status = outbox.status().unwrap();
    assert_eq!((status.queued, status.saved, status.refused), (0, 1, 1));
    assert_eq!(status.last_error.unwrap()["description"], "不行");
    assert_eq!(outbox.requeue(None, None, State::Refused).unwrap(), 1);
    assert_eq!(
        outbox
            .discard(Some(&second.outbox_id), State::Refused)
            .unwrap(),
        1
    );
    assert_eq!(
        outbox.list(Some(State::Discarded), 10, None).unwrap().len(),
        1
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the outbox holds personal data");
    }
}

#[test]
fn an_expired_claim_comes_back_in_doubt() {
    let dir = folder("lease");
    let outbox = Outbox::open(&dir.join("outbox.db")).unwrap();
    outbox.add(&member("13800000001", "甲"), false).unwrap();
    let claimed = outbox
        .claim(Duration::from_millis(0), true)
        .unwrap()
        .unwrap();
    assert!(!claimed.in_doubt);
    std::thread::sleep(Duration::from_millis(5));
    let again = outbox
        .claim(Duration::from_secs(60), true)
        .unwrap()
        .unwrap();
    assert_eq!(again.outbox_id, claimed.outbox_id);
    assert!(again.in_doubt, "the first sender may have sent it");
    assert!(
        outbox.saved(&claimed, &Value::Null).is_err(),
        "the old claim is void"
    );
}

#[test]
fn foreign_and_corrupt_files_are_refused_untouched() {
    let dir = folder("foreign");
    let text = dir.join("notes.db");
    std::fs::write(&text, "not a database at all, but somebody's notes").unwrap();
    let Err(e) = Outbox::open(&text) else {
        panic!("a text file was taken for an outbox")
    };
    assert_eq!(e.kind, crate::error::ErrorKind::Config);
    assert!(
        e.message.contains("not a jdy-member outbox"),
        "{}",
        e.message
    );
    assert_eq!(
        std::fs::read_to_string(&text).unwrap(),
        "not a database at all, but somebody's notes"
    );
    let other = dir.join("other.db");
    Connection::open(&other)
        .unwrap()
        .execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1);")
        .unwrap();
    let before = std::fs::read(&other).unwrap();
    let Err(e) = Outbox::open(&other) else {
        panic!("a foreign database was taken for an outbox")
    };
    assert!(
        e.message.contains("not a jdy-member outbox"),
        "{}",
        e.message
    );
    assert_eq!(std::fs::read(&other).unwrap(), before);
}
