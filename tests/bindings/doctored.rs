//! Each check fails on a doctored copy of a declaration file or of the header, with a
//! message naming the function and the difference.

use super::header::read_header;
use super::model::differences;
use super::{header, read_file, BINDINGS, HEADER};

fn doctored(text: &str, from: &str, to: &str) -> String {
    assert!(
        text.contains(from),
        "the doctored copy needs `{from}` in the file: update this test"
    );
    text.replacen(from, to, 1)
}

/// The problems found in a doctored copy of a binding (the header as it is).
fn problems_in(language: &str, from: &str, to: &str) -> Vec<String> {
    let binding = BINDINGS
        .iter()
        .find(|b| b.language == language)
        .expect("a binding");
    differences(
        &header(),
        binding,
        &doctored(&read_file(binding.path), from, to),
    )
}

fn assert_one_problem(problems: &[String], naming: &[&str]) {
    assert_eq!(
        problems.len(),
        1,
        "expected one problem naming {naming:?}, got {problems:#?}"
    );
    for part in naming {
        assert!(
            problems[0].contains(part),
            "`{}` does not say {part:?}",
            problems[0]
        );
    }
}

#[test]
fn a_function_missing_from_a_binding_is_named() {
    let csharp = problems_in(
        "C#",
        "[DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]\n        internal static extern IntPtr jdy_outbox_retry(JdyClientHandle client, byte[] queryJson);",
        "",
    );
    assert_one_problem(&csharp, &["jdy_outbox_retry", "missing"]);
    let pascal = problems_in(
        "Pascal",
        "function jdy_outbox_retry(client: PJdyClient; query_json: PAnsiChar): PAnsiChar; cdecl; external JdyMemberLibrary;",
        "",
    );
    assert_one_problem(&pascal, &["jdy_outbox_retry", "missing"]);
}

#[test]
fn a_function_the_header_lacks_is_named() {
    let csharp = problems_in(
        "C#",
        "internal static extern void jdy_string_free(IntPtr s);",
        "internal static extern void jdy_string_free(IntPtr s);\n[DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl)]\ninternal static extern IntPtr jdy_member_delete(JdyClientHandle client, byte[] queryJson);",
    );
    assert_one_problem(&csharp, &["jdy_member_delete", "not in the header"]);
    let pascal = problems_in(
        "Pascal",
        "procedure jdy_string_free(s: PAnsiChar); cdecl; external JdyMemberLibrary;",
        "procedure jdy_string_free(s: PAnsiChar); cdecl; external JdyMemberLibrary;\nfunction jdy_member_delete(client: PJdyClient; query_json: PAnsiChar): PAnsiChar; cdecl; external JdyMemberLibrary;",
    );
    assert_one_problem(&pascal, &["jdy_member_delete", "not in the header"]);
}

#[test]
fn a_function_only_the_header_has_is_named_for_every_binding() {
    let header = doctored(
        &read_file(HEADER),
        "void jdy_string_free(char *s);",
        "void jdy_string_free(char *s);\nchar *jdy_member_delete(JdyClient *client, const char *query_json);",
    );
    let header = read_header(&header).expect("the doctored header reads");
    for binding in BINDINGS {
        let problems = differences(&header, binding, &read_file(binding.path));
        assert_one_problem(&problems, &["jdy_member_delete", "missing"]);
    }
}

#[test]
fn another_argument_count_is_named() {
    let csharp = problems_in(
        "C#",
        "jdy_member_get(JdyClientHandle client, byte[] queryJson)",
        "jdy_member_get(JdyClientHandle client)",
    );
    assert_one_problem(
        &csharp,
        &[
            "jdy_member_get",
            "takes 1 argument(s), the header's takes 2",
        ],
    );
    let pascal = problems_in(
        "Pascal",
        "jdy_member_get(client: PJdyClient; query_json: PAnsiChar)",
        "jdy_member_get(client: PJdyClient)",
    );
    assert_one_problem(
        &pascal,
        &[
            "jdy_member_get",
            "takes 1 argument(s), the header's takes 2",
        ],
    );
    // Grouped Pascal names count one each.
    let pascal = problems_in(
        "Pascal",
        "jdy_member_save_batch(client: PJdyClient; members_json: PAnsiChar; options_json: PAnsiChar)",
        "jdy_member_save_batch(client: PJdyClient; members_json, options_json, extra: PAnsiChar)",
    );
    assert_one_problem(
        &pascal,
        &[
            "jdy_member_save_batch",
            "takes 4 argument(s), the header's takes 3",
        ],
    );
}

#[test]
fn another_argument_type_is_named() {
    // A C# string goes through the ANSI code page; a Pascal PChar is UTF-16 in Delphi 2009+.
    let csharp = problems_in(
        "C#",
        "jdy_member_save(JdyClientHandle client, byte[] memberJson)",
        "jdy_member_save(JdyClientHandle client, string memberJson)",
    );
    assert_one_problem(
        &csharp,
        &[
            "jdy_member_save",
            "argument 2 (memberJson) is `string`",
            "`const char *`",
        ],
    );
    let pascal = problems_in(
        "Pascal",
        "jdy_member_save(client: PJdyClient; member_json: PAnsiChar)",
        "jdy_member_save(client: PJdyClient; member_json: PChar)",
    );
    assert_one_problem(
        &pascal,
        &[
            "jdy_member_save",
            "argument 2 (member_json) is `PChar`",
            "`const char *`",
        ],
    );
    let pascal = problems_in(
        "Pascal",
        "error_json: PJdyPAnsiChar",
        "error_json: PAnsiChar",
    );
    assert_one_problem(
        &pascal,
        &[
            "jdy_client_new",
            "argument 2 (error_json) is `PAnsiChar`",
            "`char **`",
        ],
    );
    let csharp = problems_in("C#", "out IntPtr errorJson", "IntPtr errorJson");
    assert_one_problem(
        &csharp,
        &[
            "jdy_client_new",
            "argument 2 (errorJson) is `IntPtr`",
            "`char **`",
        ],
    );
}

#[test]
fn another_result_is_named() {
    let csharp = problems_in("C#", "IntPtr jdy_member_list(", "string jdy_member_list(");
    assert_one_problem(
        &csharp,
        &["jdy_member_list", "the result is `string`", "`char *`"],
    );
    let csharp = problems_in("C#", "void jdy_client_free(", "IntPtr jdy_client_free(");
    assert_one_problem(
        &csharp,
        &["jdy_client_free", "returns `IntPtr`", "nothing (void)"],
    );
    let pascal = problems_in(
        "Pascal",
        "function jdy_doctor(client: PJdyClient): PAnsiChar;",
        "procedure jdy_doctor(client: PJdyClient);",
    );
    assert_one_problem(&pascal, &["jdy_doctor", "returns nothing", "`char *`"]);
}

#[test]
fn another_calling_convention_is_named() {
    let csharp = problems_in(
        "C#",
        "[DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]\n        internal static extern IntPtr jdy_version();",
        "[DllImport(LibraryName, ExactSpelling = true)]\n        internal static extern IntPtr jdy_version();",
    );
    assert_one_problem(
        &csharp,
        &[
            "jdy_version",
            "calling convention winapi",
            "the header's is cdecl",
        ],
    );
    let pascal = problems_in(
        "Pascal",
        "function jdy_version: PAnsiChar; cdecl;",
        "function jdy_version: PAnsiChar; stdcall;",
    );
    assert_one_problem(
        &pascal,
        &[
            "jdy_version",
            "calling convention stdcall",
            "the header's is cdecl",
        ],
    );
    let pascal = problems_in(
        "Pascal",
        "function jdy_version: PAnsiChar; cdecl;",
        "function jdy_version: PAnsiChar;",
    );
    assert_one_problem(&pascal, &["jdy_version", "calling convention register"]);
}

#[test]
fn a_header_type_without_a_spelling_is_named() {
    let header = doctored(
        &read_file(HEADER),
        "char *jdy_member_get(JdyClient *client, const char *query_json);",
        "char *jdy_member_get(JdyClient *client, const wchar_t *query_json);",
    );
    let header = read_header(&header).expect("the doctored header reads");
    for binding in BINDINGS {
        let problems = differences(&header, binding, &read_file(binding.path));
        assert_one_problem(
            &problems,
            &[
                "jdy_member_get",
                "argument 2",
                "`const wchar_t *` has no",
                "spelling yet",
            ],
        );
    }
}

#[test]
fn entry_points_and_comments_are_read_as_the_compilers_read_them() {
    // An EntryPoint names the C function; a commented-out import is no import.
    let csharp = problems_in(
        "C#",
        "CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]\n        internal static extern IntPtr jdy_doctor(",
        "CallingConvention = CallingConvention.Cdecl, EntryPoint = \"jdy_doctor\")]\n        internal static extern IntPtr Doctor(",
    );
    assert!(csharp.is_empty(), "{csharp:#?}");
    let csharp = problems_in(
        "C#",
        "internal static extern IntPtr jdy_doctor(",
        "// internal static extern IntPtr jdy_doctor(",
    );
    assert!(
        csharp.iter().any(|p| p.contains("jdy_doctor: missing")),
        "{csharp:#?}"
    );
    let pascal = problems_in(
        "Pascal",
        "function jdy_doctor(",
        "{ function jdy_doctor( }function Doctor(",
    );
    assert!(
        pascal.iter().any(|p| p.contains("jdy_doctor: missing")),
        "{pascal:#?}"
    );
    let pascal = problems_in(
        "Pascal",
        "external JdyMemberLibrary;\nprocedure jdy_string_free(",
        "external JdyMemberLibrary;\nprocedure FreeString(",
    );
    assert!(
        pascal
            .iter()
            .any(|p| p.contains("jdy_string_free: missing")),
        "{pascal:#?}"
    );
    let pascal = problems_in("Pascal", "procedure jdy_string_free(s: PAnsiChar); cdecl; external JdyMemberLibrary;", "procedure FreeString(s: PAnsiChar); cdecl; external JdyMemberLibrary name 'jdy_string_free';");
    assert!(pascal.is_empty(), "{pascal:#?}");
}
