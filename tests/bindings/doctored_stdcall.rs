//! The checks of the stdcall declaration files (VB6, PowerBuilder, Visual FoxPro, 易语言)
//! each fail on a doctored copy, naming the function and the difference: the mistakes a
//! programmer of each language makes (VB's default ByRef, PowerBuilder's missing `;ansi` or
//! 16-bit `integer`, VFP's missing `@`, 易语言's 传址 or `@` entry), and those of any file.

use super::doctored::{
    assert_one_problem, expect_one_problem, expect_one_problem_with, problems_in,
};
use super::STDCALL_HEADER;

#[test]
fn a_missing_or_commented_out_function_is_named() {
    let retry_w = r#"Public Declare Function jdy_outbox_retry_w Lib "jdy_member.dll""#;
    expect_one_problem(
        "VB6",
        retry_w,
        &format!("' {retry_w}"),
        &["jdy_outbox_retry_w", "missing"],
    );
    expect_one_problem(
        "PowerBuilder",
        "FUNCTION long jdy_outbox_retry_w(",
        "// FUNCTION long jdy_outbox_retry_w(",
        &["jdy_outbox_retry_w", "missing"],
    );
    let retry_a = r#"FUNCTION long jdy_outbox_retry_a(longptr client, string query_json, ref string out_buf, long out_size) LIBRARY "jdy_member.dll" ALIAS FOR "jdy_outbox_retry_a;ansi""#;
    expect_one_problem(
        "PowerBuilder",
        retry_a,
        &format!("/* {retry_a} */"),
        &["jdy_outbox_retry_a", "missing"],
    );
    expect_one_problem(
        "Visual FoxPro",
        "DECLARE INTEGER jdy_outbox_retry_a IN",
        "* DECLARE INTEGER jdy_outbox_retry_a IN",
        &["jdy_outbox_retry_a", "missing"],
    );
    expect_one_problem(
        "E",
        ".DLL命令 jdy_outbox_retry_a,",
        "' .DLL命令 jdy_outbox_retry_a,",
        &["jdy_outbox_retry_a", "missing"],
    );
}

#[test]
fn a_function_the_header_lacks_is_named() {
    let last = r#"Public Declare Function jdy_last_result_w Lib "jdy_member.dll" (ByVal outBuf As Long, ByVal outChars As Long) As Long"#;
    expect_one_problem(
        "VB6",
        last,
        &format!("{last}\nPublic Declare Function jdy_member_delete_w Lib \"jdy_member.dll\" (ByVal client As Long) As Long"),
        &["jdy_member_delete_w", "not in the header"],
    );
    expect_one_problem(
        "E",
        ".版本 2\n",
        ".版本 2\n\n.DLL命令 jdy_member_delete_a, 整数型, \"jdy_member.dll\", \"jdy_member_delete_a\"\n    .参数 客户端, 整数型\n",
        &["jdy_member_delete_a", "not in the header"],
    );
}

#[test]
fn a_function_only_the_header_has_is_named_for_every_stdcall_binding() {
    let checked = expect_one_problem_with(
        STDCALL_HEADER,
        "int32_t JDY_STDCALL jdy_last_result_a(char *out, int32_t out_size);",
        "int32_t JDY_STDCALL jdy_last_result_a(char *out, int32_t out_size);\n\
         int32_t JDY_STDCALL jdy_member_delete_a(intptr_t client, const char *query_json, char *out, int32_t out_size);",
        &["jdy_member_delete_a", "missing"],
    );
    assert_eq!(checked, 4, "VB6, PowerBuilder, Visual FoxPro and E");
    expect_one_problem_with(
        STDCALL_HEADER,
        "int32_t JDY_STDCALL jdy_doctor_a(",
        "int32_t jdy_doctor_a(",
        &[
            "jdy_doctor_a",
            "calling convention stdcall, the header's is cdecl",
        ],
    );
    expect_one_problem_with(
        STDCALL_HEADER,
        "jdy_member_get_a(intptr_t client, const char *query_json",
        "jdy_member_get_a(intptr_t client, const char16_t *query_json",
        &[
            "jdy_member_get_a",
            "argument 2",
            "`const char16_t *` has no",
            "spelling yet",
        ],
    );
}

#[test]
fn another_argument_count_is_named() {
    expect_one_problem(
        "VB6",
        "jdy_member_get_a Lib \"jdy_member.dll\" (ByVal client As Long, ByVal queryJson As String, ByVal outBuf As String, ByVal outSize As Long)",
        "jdy_member_get_a Lib \"jdy_member.dll\" (ByVal client As Long, ByVal queryJson As String, ByVal outBuf As String)",
        &["jdy_member_get_a", "takes 3 argument(s), the header's takes 4"],
    );
    expect_one_problem(
        "PowerBuilder",
        "jdy_member_get_w(longptr client, string query_json, ref string out_buf, long out_chars)",
        "jdy_member_get_w(longptr client, string query_json, ref string out_buf)",
        &[
            "jdy_member_get_w",
            "takes 3 argument(s), the header's takes 4",
        ],
    );
    expect_one_problem(
        "Visual FoxPro",
        "jdy_member_get_a IN jdy_member.dll INTEGER client, STRING queryJson, STRING @ outBuf, INTEGER outSize",
        "jdy_member_get_a IN jdy_member.dll INTEGER client, STRING @ outBuf, INTEGER outSize",
        &["jdy_member_get_a", "takes 3 argument(s), the header's takes 4"],
    );
    expect_one_problem(
        "E",
        "    .参数 选项JSON, 文本型\n",
        "",
        &[
            "jdy_member_save_batch_a",
            "takes 4 argument(s), the header's takes 5",
        ],
    );
}

#[test]
fn each_languages_own_type_mistakes_are_named() {
    // VB passes ByRef unless told: a pointer to the variable, not to the text.
    expect_one_problem(
        "VB6",
        "jdy_member_save_a Lib \"jdy_member.dll\" (ByVal client As Long, ByVal memberJson As String",
        "jdy_member_save_a Lib \"jdy_member.dll\" (ByVal client As Long, memberJson As String",
        &["jdy_member_save_a", "argument 2 (memberJson)", "`ByRef String`", "`const char *`"],
    );
    // A _w function takes StrPtr(text), not a String VB would convert to ANSI.
    expect_one_problem(
        "VB6",
        "jdy_member_save_w Lib \"jdy_member.dll\" (ByVal client As Long, ByVal memberJson As Long",
        "jdy_member_save_w Lib \"jdy_member.dll\" (ByVal client As Long, ByVal memberJson As String",
        &["jdy_member_save_w", "argument 2 (memberJson)", "`const wchar_t *`"],
    );
    // Without ;ansi PowerBuilder 10+ passes UTF-16 to an _a function.
    expect_one_problem(
        "PowerBuilder",
        "ALIAS FOR \"jdy_doctor_a;ansi\"",
        "ALIAS FOR \"jdy_doctor_a\"",
        &[
            "jdy_doctor_a",
            "argument 2 (out_buf)",
            "(= `ref string`)",
            "needs one of: ref string;ansi",
        ],
    );
    // integer is 16 bits; a string the function writes must be passed ref.
    expect_one_problem(
        "PowerBuilder",
        "jdy_version_w(ref string out_buf, long out_chars)",
        "jdy_version_w(ref string out_buf, integer out_chars)",
        &[
            "jdy_version_w",
            "argument 2 (out_chars)",
            "`integer`",
            "`int32_t`",
        ],
    );
    expect_one_problem(
        "PowerBuilder",
        "jdy_member_list_w(longptr client, string query_json, ref string out_buf",
        "jdy_member_list_w(longptr client, string query_json, string out_buf",
        &["jdy_member_list_w", "argument 3 (out_buf)", "`wchar_t *`"],
    );
    // VFP copies a STRING for the call: without @ the result never reaches the variable.
    expect_one_problem(
        "Visual FoxPro",
        "jdy_member_save_a IN jdy_member.dll INTEGER client, STRING memberJson, STRING @ outBuf",
        "jdy_member_save_a IN jdy_member.dll INTEGER client, STRING memberJson, STRING outBuf",
        &[
            "jdy_member_save_a",
            "argument 3 (outBuf)",
            "`STRING`",
            "`char *`",
        ],
    );
    expect_one_problem(
        "Visual FoxPro",
        "jdy_member_get_a IN jdy_member.dll INTEGER client, STRING queryJson, STRING @ outBuf, INTEGER outSize",
        "jdy_member_get_a IN jdy_member.dll INTEGER client, STRING queryJson, STRING @ outBuf, SHORT outSize",
        &["jdy_member_get_a", "argument 4 (outSize)", "`SHORT`", "`int32_t`"],
    );
    // 传址 would pass a pointer to the text's pointer.
    expect_one_problem(
        "E",
        "    .参数 结果缓冲区, 文本型\n",
        "    .参数 结果缓冲区, 文本型, 传址\n",
        &[
            "jdy_version_a",
            "argument 1 (结果缓冲区)",
            "`文本型 传址`",
            "`char *`",
        ],
    );
    expect_one_problem(
        "E",
        "    .参数 客户端, 整数型\n",
        "    .参数 客户端, 文本型\n",
        &["jdy_client_free_a", "argument 1 (客户端)", "`intptr_t`"],
    );
}

#[test]
fn another_result_is_named() {
    expect_one_problem(
        "VB6",
        "ByVal errorOut As String, ByVal errorSize As Long) As Long",
        "ByVal errorOut As String, ByVal errorSize As Long) As Integer",
        &["jdy_client_new_a", "the result is `Integer`", "`intptr_t`"],
    );
    // A handle in a 32-bit long is cut in half in a 64-bit application.
    expect_one_problem(
        "PowerBuilder",
        "FUNCTION longptr jdy_client_new_w(",
        "FUNCTION long jdy_client_new_w(",
        &["jdy_client_new_w", "the result is `long`", "`intptr_t`"],
    );
    expect_one_problem(
        "Visual FoxPro",
        "DECLARE INTEGER jdy_doctor_a IN",
        "DECLARE jdy_doctor_a IN",
        &["jdy_doctor_a", "returns nothing", "`int32_t`"],
    );
    expect_one_problem(
        "E",
        ".DLL命令 jdy_doctor_a, 整数型,",
        ".DLL命令 jdy_doctor_a, ,",
        &["jdy_doctor_a", "returns nothing", "`int32_t`"],
    );
}

#[test]
fn another_calling_convention_is_named() {
    expect_one_problem(
        "VB6",
        "Public Declare Function jdy_version_a Lib",
        "Public Declare Function jdy_version_a CDecl Lib",
        &[
            "jdy_version_a",
            "calling convention cdecl, the header's is stdcall",
        ],
    );
    // In 易语言 a library name starting with @ is called as cdecl.
    expect_one_problem(
        "E",
        "\"jdy_version_a\", 公开",
        "\"@jdy_version_a\", 公开",
        &[
            "jdy_version_a",
            "calling convention cdecl, the header's is stdcall",
        ],
    );
}

#[test]
fn aliases_continuations_and_case_are_read_as_each_language_reads_them() {
    let renamed = [
        (
            "VB6",
            "Public Declare Function jdy_doctor_a Lib \"jdy_member.dll\"",
            "Public Declare Function JdyDoctor Lib \"jdy_member.dll\" Alias \"jdy_doctor_a\"",
        ),
        (
            "VB6",
            "(ByVal client As Long, ByVal outBuf As Long, ByVal outChars As Long) As Long",
            "(ByVal client As Long, _\n    ByVal outBuf As Long, _\n    ByVal outChars As Long) As Long",
        ),
        (
            "PowerBuilder",
            "FUNCTION long jdy_doctor_w(longptr client, ref string out_buf, long out_chars) LIBRARY \"jdy_member.dll\"",
            "function LONG JdyDoctor(LongPtr client, REF String out_buf, Long out_chars) &\n    library \"jdy_member.dll\" alias for \"jdy_doctor_w\"",
        ),
        (
            "Visual FoxPro",
            "DECLARE INTEGER jdy_doctor_a IN jdy_member.dll INTEGER client,",
            "declare integer jdy_doctor_a in jdy_member.dll as JdyDoctor ;\n    integer client,",
        ),
        (
            "E",
            ".DLL命令 jdy_doctor_a, 整数型, \"jdy_member.dll\", \"jdy_doctor_a\"",
            ".DLL命令 体检, 整数型, \"jdy_member.dll\", \"jdy_doctor_a\"",
        ),
    ];
    for (language, from, to) in renamed {
        let problems = problems_in(language, from, to);
        assert!(problems.is_empty(), "{language}: {problems:#?}");
    }
    // The name in a VFP DECLARE is the DLL's, and GetProcAddress is case-sensitive.
    let problems = problems_in("Visual FoxPro", "jdy_doctor_a IN", "JDY_DOCTOR_A IN");
    assert_eq!(problems.len(), 2, "{problems:#?}");
    assert_one_problem(&problems[..1], &["jdy_doctor_a", "missing"]);
    assert_one_problem(&problems[1..], &["JDY_DOCTOR_A", "not in the header"]);
}
