//! Each check fails on a doctored copy of a declaration file or of the header, with a
//! message naming the function and the difference.

use super::header::read_header;
use super::model::differences;
use super::{header_at, read_file, BINDINGS, HEADER};

pub fn doctored(text: &str, from: &str, to: &str) -> String {
    assert!(
        text.contains(from),
        "the doctored copy needs `{from}` in the file: update this test"
    );
    text.replacen(from, to, 1)
}

/// The problems found in a doctored copy of a binding (its header as it is).
pub fn problems_in(language: &str, from: &str, to: &str) -> Vec<String> {
    let binding = BINDINGS
        .iter()
        .find(|b| b.language == language)
        .expect("a binding");
    differences(
        &header_at(binding.header),
        binding,
        &doctored(&read_file(binding.path), from, to),
    )
}

/// A doctored copy of `language`'s file (`from` made `to`) has one problem, naming all of `naming`.
pub fn expect_one_problem(language: &str, from: &str, to: &str, naming: &[&str]) {
    assert_one_problem(&problems_in(language, from, to), naming);
}

/// With a doctored copy of the header at `path` (`from` made `to`), every binding of that
/// header has one problem naming `naming`; returns how many bindings were checked.
pub fn expect_one_problem_with(path: &str, from: &str, to: &str, naming: &[&str]) -> usize {
    let header =
        read_header(&doctored(&read_file(path), from, to)).expect("the doctored header reads");
    let bindings: Vec<_> = BINDINGS.iter().filter(|b| b.header == path).collect();
    for binding in &bindings {
        assert_one_problem(
            &differences(&header, binding, &read_file(binding.path)),
            naming,
        );
    }
    bindings.len()
}

/// [`expect_one_problem_with`] the cdecl header.
fn expect_one_problem_with_header(from: &str, to: &str, naming: &[&str]) {
    assert_eq!(expect_one_problem_with(HEADER, from, to, naming), 2);
}

pub fn assert_one_problem(problems: &[String], naming: &[&str]) {
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
    expect_one_problem(
        "C#",
        "[DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]\n        \
         internal static extern IntPtr jdy_outbox_retry(JdyClientHandle client, byte[] queryJson);",
        "",
        &["jdy_outbox_retry", "missing"],
    );
    expect_one_problem(
        "Pascal",
        "function jdy_outbox_retry(client: PJdyClient; query_json: PAnsiChar): PAnsiChar; cdecl; \
         external JdyMemberLibrary;",
        "",
        &["jdy_outbox_retry", "missing"],
    );
}

#[test]
fn a_function_the_header_lacks_is_named() {
    expect_one_problem(
        "C#",
        "internal static extern void jdy_string_free(IntPtr s);",
        "internal static extern void jdy_string_free(IntPtr s);\n\
         [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl)]\n\
         internal static extern IntPtr jdy_member_delete(JdyClientHandle client, byte[] queryJson);",
        &["jdy_member_delete", "not in the header"],
    );
    expect_one_problem(
        "Pascal",
        "procedure jdy_string_free(s: PAnsiChar); cdecl; external JdyMemberLibrary;",
        "procedure jdy_string_free(s: PAnsiChar); cdecl; external JdyMemberLibrary;\n\
         function jdy_member_delete(client: PJdyClient; query_json: PAnsiChar): PAnsiChar; cdecl; \
         external JdyMemberLibrary;",
        &["jdy_member_delete", "not in the header"],
    );
}

#[test]
fn a_function_only_the_header_has_is_named_for_every_binding() {
    expect_one_problem_with_header(
        "void jdy_string_free(char *s);",
        "void jdy_string_free(char *s);\n\
         char *jdy_member_delete(JdyClient *client, const char *query_json);",
        &["jdy_member_delete", "missing"],
    );
}

#[test]
fn another_argument_count_is_named() {
    expect_one_problem(
        "C#",
        "jdy_member_get(JdyClientHandle client, byte[] queryJson)",
        "jdy_member_get(JdyClientHandle client)",
        &[
            "jdy_member_get",
            "takes 1 argument(s), the header's takes 2",
        ],
    );
    expect_one_problem(
        "Pascal",
        "jdy_member_get(client: PJdyClient; query_json: PAnsiChar)",
        "jdy_member_get(client: PJdyClient)",
        &[
            "jdy_member_get",
            "takes 1 argument(s), the header's takes 2",
        ],
    );
    // Grouped Pascal names count one each.
    expect_one_problem(
        "Pascal",
        "members_json: PAnsiChar; options_json: PAnsiChar)",
        "members_json, options_json, extra: PAnsiChar)",
        &[
            "jdy_member_save_batch",
            "takes 4 argument(s), the header's takes 3",
        ],
    );
}

#[test]
fn another_argument_type_is_named() {
    // A C# string goes through the ANSI code page; a Pascal PChar is UTF-16 in Delphi 2009+.
    expect_one_problem(
        "C#",
        "jdy_member_save(JdyClientHandle client, byte[] memberJson)",
        "jdy_member_save(JdyClientHandle client, string memberJson)",
        &[
            "jdy_member_save",
            "argument 2 (memberJson) is `string`",
            "`const char *`",
        ],
    );
    expect_one_problem(
        "Pascal",
        "jdy_member_save(client: PJdyClient; member_json: PAnsiChar)",
        "jdy_member_save(client: PJdyClient; member_json: PChar)",
        &[
            "jdy_member_save",
            "argument 2 (member_json) is `PChar`",
            "`const char *`",
        ],
    );
    expect_one_problem(
        "Pascal",
        "error_json: PJdyPAnsiChar",
        "error_json: PAnsiChar",
        &[
            "jdy_client_new",
            "argument 2 (error_json) is `PAnsiChar`",
            "`char **`",
        ],
    );
    expect_one_problem(
        "C#",
        "out IntPtr errorJson",
        "IntPtr errorJson",
        &[
            "jdy_client_new",
            "argument 2 (errorJson) is `IntPtr`",
            "`char **`",
        ],
    );
}

#[test]
fn another_result_is_named() {
    expect_one_problem(
        "C#",
        "IntPtr jdy_member_list(",
        "string jdy_member_list(",
        &["jdy_member_list", "the result is `string`", "`char *`"],
    );
    expect_one_problem(
        "C#",
        "void jdy_client_free(",
        "IntPtr jdy_client_free(",
        &["jdy_client_free", "returns `IntPtr`", "nothing (void)"],
    );
    expect_one_problem(
        "Pascal",
        "function jdy_doctor(client: PJdyClient): PAnsiChar;",
        "procedure jdy_doctor(client: PJdyClient);",
        &["jdy_doctor", "returns nothing", "`char *`"],
    );
}

#[test]
fn another_calling_convention_is_named() {
    // DllImport's default is stdcall on 32-bit Windows.
    expect_one_problem(
        "C#",
        "[DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]\n        \
         internal static extern IntPtr jdy_version();",
        "[DllImport(LibraryName, ExactSpelling = true)]\n        \
         internal static extern IntPtr jdy_version();",
        &["jdy_version", "calling convention winapi", "the header's is cdecl"],
    );
    expect_one_problem(
        "Pascal",
        "function jdy_version: PAnsiChar; cdecl;",
        "function jdy_version: PAnsiChar; stdcall;",
        &[
            "jdy_version",
            "calling convention stdcall",
            "the header's is cdecl",
        ],
    );
    expect_one_problem(
        "Pascal",
        "function jdy_version: PAnsiChar; cdecl;",
        "function jdy_version: PAnsiChar;",
        &["jdy_version", "calling convention register"],
    );
}

#[test]
fn a_header_type_without_a_spelling_is_named() {
    expect_one_problem_with_header(
        "const char *query_json);",
        "const wchar_t *query_json);",
        &[
            "jdy_member_get",
            "argument 2",
            "`const wchar_t *` has no",
            "spelling yet",
        ],
    );
}

#[test]
fn entry_points_and_comments_are_read_as_the_compilers_read_them() {
    // An EntryPoint (C#) or `name` (Pascal) names the C function.
    let renamed = [
        (
            "C#",
            "CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]\n        internal static extern IntPtr jdy_doctor(",
            "CallingConvention = CallingConvention.Cdecl, EntryPoint = \"jdy_doctor\")]\n        internal static extern IntPtr Doctor(",
        ),
        (
            "Pascal",
            "procedure jdy_string_free(s: PAnsiChar); cdecl; external JdyMemberLibrary;",
            "procedure FreeString(s: PAnsiChar); cdecl; external JdyMemberLibrary name 'jdy_string_free';",
        ),
    ];
    for (language, from, to) in renamed {
        let problems = problems_in(language, from, to);
        assert!(problems.is_empty(), "{language}: {problems:#?}");
    }
    // A commented-out import, or one under another name, is no import of the function.
    let hidden = [
        (
            "C#",
            "internal static extern IntPtr jdy_doctor(",
            "// internal static extern IntPtr jdy_doctor(",
        ),
        (
            "Pascal",
            "function jdy_doctor(",
            "{ function jdy_doctor( }function Doctor(",
        ),
        ("Pascal", "function jdy_doctor(", "function Doctor("),
    ];
    for (language, from, to) in hidden {
        let problems = problems_in(language, from, to);
        assert!(
            problems.iter().any(|p| p.contains("jdy_doctor: missing")),
            "{language}: {problems:#?}"
        );
    }
}
