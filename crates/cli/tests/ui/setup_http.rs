//! A first run without a configuration, over HTTP: the page asks for the account, the
//! doctor's words come back for a wrong secret and nothing is saved, the right account is
//! saved to an owner-only settings file that the next start and every command find by
//! themselves, and `config show` never shows its secrets.

use super::harness::{at_home, jdy, temp_dir, SandboxProcess, Ui};
use serde_json::{json, Value};

fn settings_post(ui: &Ui, form: &Value) -> Value {
    let (status, answer) = ui.call("POST", "/api/settings", form.to_string().as_bytes());
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&answer));
    serde_json::from_slice(&answer).unwrap()
}

/// The sandbox's account as the form takes it, with `secret` as the client secret.
fn form(sandbox: &SandboxProcess, secret: &str) -> Value {
    let config = &sandbox.config;
    json!({
        "client_id": config["client_id"],
        "client_secret": secret,
        "mode": "authorization",
        "outer_instance_id": config["outer_instance_id"],
        "base_url": config["base_url"],
    })
}

#[test]
fn without_configuration_the_page_asks_for_the_account_checks_it_and_saves_it() {
    let home = temp_dir("setup");
    let settings = home.join("config").join("jdy-member").join("settings.json");
    let sandbox = SandboxProcess::start();
    let secret = sandbox.config["client_secret"]
        .as_str()
        .unwrap()
        .to_string();
    let ui = Ui::start_at_home(&home);
    let state = ui.json("GET", "/api/state");
    assert_eq!(state["account"], Value::Null, "{state}");
    assert_eq!(state["setup"]["needed"], true);
    assert_eq!(state["setup"]["file"], settings.display().to_string());
    let (status, _) = ui.call("POST", "/api/jobs?name=a.csv", b"x");
    assert_eq!(status, 409, "no file before the account");

    a_wrong_or_missing_value_saves_nothing(&ui, &sandbox, &settings);

    let right = settings_post(&ui, &form(&sandbox, &secret));
    assert_eq!(right["saved"], true, "{right}");
    assert!(
        right["checks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["verdict"] != "fail"),
        "{right}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&settings), 0o600);
        assert_eq!(mode(settings.parent().unwrap()), 0o700);
    }
    assert!(
        std::fs::read_to_string(&settings)
            .unwrap()
            .contains(&secret),
        "as given on Linux"
    );
    let state = ui.json("GET", "/api/state");
    assert_eq!(
        (
            state["setup"]["needed"].clone(),
            state["account"]["source"].clone()
        ),
        (json!(false), json!("settings"))
    );
    let form_state = ui.json("GET", "/api/settings");
    assert_eq!(form_state["saved"]["has_client_secret"], true);
    assert!(
        !form_state.to_string().contains(&secret),
        "never sent back: {form_state}"
    );
    let (status, _) = ui.call(
        "POST",
        "/api/jobs?name=a.csv",
        "手机号,姓名\n13900740001,甲\n".as_bytes(),
    );
    assert_eq!(status, 201, "files are taken now");
    drop(ui);
    the_next_start_and_every_command_use_the_settings(&home, &sandbox, &secret);
}

/// A wrong secret fails the doctor's authorization check, an incomplete form its
/// configuration check; nothing is saved to `settings`.
fn a_wrong_or_missing_value_saves_nothing(
    ui: &Ui,
    sandbox: &SandboxProcess,
    settings: &std::path::Path,
) {
    let wrong = settings_post(ui, &form(sandbox, "not-the-secret-at-all-0000000000"));
    assert_eq!(
        (wrong["saved"].clone(), wrong["blocking"].clone()),
        (json!(false), json!(true)),
        "{wrong}"
    );
    let failed: Vec<&Value> = wrong["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["verdict"] == "fail")
        .collect();
    assert_eq!(failed[0]["name"], "authorization", "{wrong}");
    assert!(
        failed[0]["advice"]
            .as_str()
            .unwrap()
            .contains("client_secret"),
        "{wrong}"
    );
    assert!(!settings.exists(), "nothing saved");
    let incomplete = settings_post(ui, &json!({"client_id": "x", "mode": "authorization"}));
    assert_eq!(
        incomplete["checks"][0]["name"], "configuration",
        "{incomplete}"
    );
}

/// The next start and every command find the settings `home` holds by themselves, and never
/// show `secret`.
fn the_next_start_and_every_command_use_the_settings(
    home: &std::path::Path,
    sandbox: &SandboxProcess,
    secret: &str,
) {
    let settings = home.join("config").join("jdy-member").join("settings.json");
    let again = Ui::start_at_home(home);
    let state = again.json("GET", "/api/state");
    assert_eq!(state["setup"]["needed"], false, "{state}");
    assert_eq!(state["account"]["client_id"], sandbox.config["client_id"]);
    let shown = at_home(jdy(&["--json", "config", "show"]), home)
        .output()
        .unwrap();
    let text = String::from_utf8(shown.stdout).unwrap();
    assert!(!text.contains(secret), "{text}");
    let shown: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(shown["data"]["source"], "settings");
    assert_eq!(shown["data"]["config"]["client_secret"], "(hidden)");
    assert_eq!(shown["data"]["usable"], true);
    let path = at_home(jdy(&["config", "path"]), home).output().unwrap();
    assert_eq!(
        String::from_utf8(path.stdout).unwrap().trim(),
        settings.display().to_string()
    );
    let doctor = at_home(jdy(&["doctor"]), home).output().unwrap();
    assert!(
        doctor.status.success(),
        "{}",
        String::from_utf8_lossy(&doctor.stdout)
    );
}

#[test]
fn a_damaged_settings_file_stops_the_commands_and_the_page_replaces_it_only_when_asked() {
    let home = temp_dir("damaged");
    let settings = home.join("config").join("jdy-member").join("settings.json");
    std::fs::create_dir_all(settings.parent().unwrap()).unwrap();
    std::fs::write(
        &settings,
        "{\"format\": \"jdy-member settings 1\", \"config\": ",
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&settings, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let doctor = at_home(jdy(&["doctor"]), &home).output().unwrap();
    assert_eq!(doctor.status.code(), Some(3));
    let error = String::from_utf8(doctor.stderr).unwrap();
    assert!(
        error.contains("not valid JSON") && error.contains("left as it is"),
        "{error}"
    );
    let ui = Ui::start_at_home(&home);
    let state = ui.json("GET", "/api/state");
    assert_eq!(state["setup"]["needed"], true);
    assert!(
        state["setup"]["problem"]
            .as_str()
            .unwrap()
            .contains("not valid JSON"),
        "{state}"
    );
    assert!(
        std::fs::read_to_string(&settings)
            .unwrap()
            .ends_with("\"config\": "),
        "untouched"
    );
    let sandbox = SandboxProcess::start();
    let secret = sandbox.config["client_secret"]
        .as_str()
        .unwrap()
        .to_string();
    let saved = settings_post(&ui, &form(&sandbox, &secret));
    assert_eq!(saved["saved"], true, "{saved}");
    let aside = settings.with_extension("json.damaged");
    assert_eq!(saved["aside"], aside.display().to_string());
    assert!(
        std::fs::read_to_string(&aside)
            .unwrap()
            .ends_with("\"config\": "),
        "kept beside"
    );
}

#[test]
fn a_warning_saves_only_when_the_staff_insist() {
    let home = temp_dir("insist");
    let settings = home.join("config").join("jdy-member").join("settings.json");
    // The app lacks the store list: imports without store names still work.
    let sandbox =
        SandboxProcess::with(r#"{"token_limit": null, "denied_paths": ["/jdy/v2/ls/store"]}"#);
    let secret = sandbox.config["client_secret"]
        .as_str()
        .unwrap()
        .to_string();
    let ui = Ui::start_at_home(&home);
    let warned = settings_post(&ui, &form(&sandbox, &secret));
    assert_eq!(
        (
            warned["saved"].clone(),
            warned["blocking"].clone(),
            warned["warned"].clone()
        ),
        (json!(false), json!(false), json!(true)),
        "{warned}"
    );
    let store = warned["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "permission store list")
        .unwrap();
    assert_eq!(
        (store["verdict"].clone(), store["blocking"].clone()),
        (json!("fail"), json!(false))
    );
    assert!(!settings.exists());
    let mut insist = form(&sandbox, &secret);
    insist["insist"] = json!(true);
    assert_eq!(settings_post(&ui, &insist)["saved"], true);
    assert!(settings.exists());
}

#[test]
fn every_command_takes_config_then_environment_then_settings_and_sandbox_over_all() {
    let home = temp_dir("sources");
    let settings = home.join("config").join("jdy-member").join("settings.json");
    std::fs::create_dir_all(settings.parent().unwrap()).unwrap();
    let saved = json!({"format": "jdy-member settings 1", "config": {
        "client_id": "from-settings", "client_secret": "settings-secret-not-real",
        "outer_instance_id": "oid"}});
    std::fs::write(&settings, saved.to_string()).unwrap();
    let config = home.join("jdy-config.json");
    let file = json!({"client_id": "from-file", "client_secret": "file-secret-not-real",
                      "outer_instance_id": "oid"});
    std::fs::write(&config, file.to_string()).unwrap();
    let show = |args: &[&str], env: &[(&str, &str)]| {
        let mut command = at_home(jdy(args), &home);
        command.envs(env.iter().copied());
        let output = command.output().unwrap();
        let text = String::from_utf8(output.stdout).unwrap();
        assert!(!text.contains("not-real"), "never a secret: {text}");
        (output.status.code(), text)
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&settings, std::fs::Permissions::from_mode(0o644)).unwrap();
        let (code, _) = show(&["config", "show"], &[]);
        assert_eq!(code, Some(3), "a settings file others can read is not read");
        std::fs::set_permissions(&settings, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let source = |args: &[&str], env: &[(&str, &str)]| {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["config", "show"]);
        let (code, text) = show(&all, env);
        assert_eq!(code, Some(0), "{text}");
        let shown: Value = serde_json::from_str(&text).unwrap();
        let client = shown["data"]["config"]["client_id"].clone();
        (
            shown["data"]["source"].as_str().unwrap().to_string(),
            client,
        )
    };
    let env = [
        ("JDY_CLIENT_ID", "from-env"),
        ("JDY_CLIENT_SECRET", "env-secret-not-real"),
        ("JDY_OUTER_INSTANCE_ID", "oid"),
    ];
    let path = config.to_str().unwrap();
    assert_eq!(
        source(&[], &[]),
        ("settings".into(), json!("from-settings"))
    );
    assert_eq!(source(&[], &env), ("environment".into(), json!("from-env")));
    assert_eq!(
        source(&["--config", path], &env),
        ("config".into(), json!("from-file"))
    );
    assert_eq!(source(&["--sandbox", "--config", path], &env).0, "sandbox");
    let (_, text) = show(&["config", "show"], &env);
    assert!(
        text.contains("configuration from: the JDY_* environment variables"),
        "{text}"
    );
    let (_, text) = show(&["config", "path"], &[]);
    assert_eq!(text.trim(), settings.display().to_string());
}
