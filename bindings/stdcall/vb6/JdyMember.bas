Attribute VB_Name = "JdyMember"
' JdyMember.bas: jdy_member.dll for Visual Basic 6 (and VBA in 32-bit Office).
' Add this module to the project and put jdy_member.dll from the win-x86 SDK beside the
' program (while in the IDE: beside the .vbp, or on the PATH).
'
' These are the DLL's stdcall functions (include/jdy_member_stdcall.h), declared under
' their plain names. Every one answers with a JSON envelope that begins with {"ok":true
' or {"ok":false, so Left$(result, 10) = "{""ok"":true" decides success without a parser.
'
' _a functions take and give VB strings as the system code page (GBK on a Chinese till):
' VB converts them on the way in and out. A character the code page lacks comes back as a
' JSON \uXXXX escape, never as "?". VB itself turns such characters into "?" when it
' converts a string for an _a call, so build member JSON with JdyJsonString below (every
' non-ASCII character as \uXXXX: nothing is lost whatever the code page), or use the _w
' functions with StrPtr.
'
' The buffer rule: a function writes its result into the buffer you pass (pre-size it with
' String$(n, vbNullChar)) and returns its length; a negative return -n means the buffer was
' too small and n is the size needed. The call was still done, once: fetch its result with
' jdy_last_result_a (JdyResult below does both), never by calling the function again.
Option Explicit

' --- ANSI (_a): ByVal String, sizes in bytes --------------------------------------------
Public Declare Function jdy_version_a Lib "jdy_member.dll" (ByVal outBuf As String, ByVal outSize As Long) As Long
Public Declare Function jdy_client_new_a Lib "jdy_member.dll" (ByVal configJson As String, ByVal errorOut As String, ByVal errorSize As Long) As Long
Public Declare Function jdy_client_free_a Lib "jdy_member.dll" (ByVal client As Long) As Long
Public Declare Function jdy_member_save_a Lib "jdy_member.dll" (ByVal client As Long, ByVal memberJson As String, ByVal outBuf As String, ByVal outSize As Long) As Long
Public Declare Function jdy_member_save_batch_a Lib "jdy_member.dll" (ByVal client As Long, ByVal membersJson As String, ByVal optionsJson As String, ByVal outBuf As String, ByVal outSize As Long) As Long
Public Declare Function jdy_member_get_a Lib "jdy_member.dll" (ByVal client As Long, ByVal queryJson As String, ByVal outBuf As String, ByVal outSize As Long) As Long
Public Declare Function jdy_member_list_a Lib "jdy_member.dll" (ByVal client As Long, ByVal queryJson As String, ByVal outBuf As String, ByVal outSize As Long) As Long
Public Declare Function jdy_member_validate_a Lib "jdy_member.dll" (ByVal memberJson As String, ByVal outBuf As String, ByVal outSize As Long) As Long
Public Declare Function jdy_outbox_add_a Lib "jdy_member.dll" (ByVal client As Long, ByVal memberJson As String, ByVal outBuf As String, ByVal outSize As Long) As Long
Public Declare Function jdy_outbox_flush_a Lib "jdy_member.dll" (ByVal client As Long, ByVal optionsJson As String, ByVal outBuf As String, ByVal outSize As Long) As Long
Public Declare Function jdy_outbox_status_a Lib "jdy_member.dll" (ByVal client As Long, ByVal outBuf As String, ByVal outSize As Long) As Long
Public Declare Function jdy_outbox_list_a Lib "jdy_member.dll" (ByVal client As Long, ByVal queryJson As String, ByVal outBuf As String, ByVal outSize As Long) As Long
Public Declare Function jdy_outbox_retry_a Lib "jdy_member.dll" (ByVal client As Long, ByVal queryJson As String, ByVal outBuf As String, ByVal outSize As Long) As Long
Public Declare Function jdy_outbox_discard_a Lib "jdy_member.dll" (ByVal client As Long, ByVal queryJson As String, ByVal outBuf As String, ByVal outSize As Long) As Long
Public Declare Function jdy_call_a Lib "jdy_member.dll" (ByVal client As Long, ByVal requestJson As String, ByVal outBuf As String, ByVal outSize As Long) As Long
Public Declare Function jdy_doctor_a Lib "jdy_member.dll" (ByVal client As Long, ByVal outBuf As String, ByVal outSize As Long) As Long
Public Declare Function jdy_last_result_a Lib "jdy_member.dll" (ByVal outBuf As String, ByVal outSize As Long) As Long

' --- UTF-16 (_w): pass StrPtr(text) and StrPtr(buffer), sizes in characters ------------
Public Declare Function jdy_version_w Lib "jdy_member.dll" (ByVal outBuf As Long, ByVal outChars As Long) As Long
Public Declare Function jdy_client_new_w Lib "jdy_member.dll" (ByVal configJson As Long, ByVal errorOut As Long, ByVal errorChars As Long) As Long
Public Declare Function jdy_client_free_w Lib "jdy_member.dll" (ByVal client As Long) As Long
Public Declare Function jdy_member_save_w Lib "jdy_member.dll" (ByVal client As Long, ByVal memberJson As Long, ByVal outBuf As Long, ByVal outChars As Long) As Long
Public Declare Function jdy_member_save_batch_w Lib "jdy_member.dll" (ByVal client As Long, ByVal membersJson As Long, ByVal optionsJson As Long, ByVal outBuf As Long, ByVal outChars As Long) As Long
Public Declare Function jdy_member_get_w Lib "jdy_member.dll" (ByVal client As Long, ByVal queryJson As Long, ByVal outBuf As Long, ByVal outChars As Long) As Long
Public Declare Function jdy_member_list_w Lib "jdy_member.dll" (ByVal client As Long, ByVal queryJson As Long, ByVal outBuf As Long, ByVal outChars As Long) As Long
Public Declare Function jdy_member_validate_w Lib "jdy_member.dll" (ByVal memberJson As Long, ByVal outBuf As Long, ByVal outChars As Long) As Long
Public Declare Function jdy_outbox_add_w Lib "jdy_member.dll" (ByVal client As Long, ByVal memberJson As Long, ByVal outBuf As Long, ByVal outChars As Long) As Long
Public Declare Function jdy_outbox_flush_w Lib "jdy_member.dll" (ByVal client As Long, ByVal optionsJson As Long, ByVal outBuf As Long, ByVal outChars As Long) As Long
Public Declare Function jdy_outbox_status_w Lib "jdy_member.dll" (ByVal client As Long, ByVal outBuf As Long, ByVal outChars As Long) As Long
Public Declare Function jdy_outbox_list_w Lib "jdy_member.dll" (ByVal client As Long, ByVal queryJson As Long, ByVal outBuf As Long, ByVal outChars As Long) As Long
Public Declare Function jdy_outbox_retry_w Lib "jdy_member.dll" (ByVal client As Long, ByVal queryJson As Long, ByVal outBuf As Long, ByVal outChars As Long) As Long
Public Declare Function jdy_outbox_discard_w Lib "jdy_member.dll" (ByVal client As Long, ByVal queryJson As Long, ByVal outBuf As Long, ByVal outChars As Long) As Long
Public Declare Function jdy_call_w Lib "jdy_member.dll" (ByVal client As Long, ByVal requestJson As Long, ByVal outBuf As Long, ByVal outChars As Long) As Long
Public Declare Function jdy_doctor_w Lib "jdy_member.dll" (ByVal client As Long, ByVal outBuf As Long, ByVal outChars As Long) As Long
Public Declare Function jdy_last_result_w Lib "jdy_member.dll" (ByVal outBuf As Long, ByVal outChars As Long) As Long

' The text of a result the buffer rule wrote: the buffer up to its NUL or, when the call
' returned a negative n (the buffer was too small), the result it kept.
Public Function JdyResult(ByVal n As Long, ByVal buffer As String) As String
    If n < 0 Then
        JdyResult = JdyLastResult()
    Else
        JdyResult = Left$(buffer, InStr(buffer & vbNullChar, vbNullChar) - 1)
    End If
End Function

' The result this thread's last _a call kept, whatever its size.
Public Function JdyLastResult() As String
    Dim buffer As String, n As Long
    n = jdy_last_result_a(vbNullString, 0)   ' NULL and 0: minus the size needed
    buffer = String$(-n, vbNullChar)
    n = jdy_last_result_a(buffer, Len(buffer))
    JdyLastResult = Left$(buffer, InStr(buffer & vbNullChar, vbNullChar) - 1)
End Function

' text as a JSON string literal with every non-ASCII character written \uXXXX.
Public Function JdyJsonString(ByVal text As String) As String
    Dim i As Long, c As Long, s As String
    s = """"
    For i = 1 To Len(text)
        c = AscW(Mid$(text, i, 1)) And &HFFFF&
        Select Case c
            Case 34: s = s & "\"""
            Case 92: s = s & "\\"
            Case 0 To 31, Is > 126: s = s & "\u" & Right$("000" & LCase$(Hex$(c)), 4)
            Case Else: s = s & ChrW$(c)
        End Select
    Next
    JdyJsonString = s & """"
End Function

' Saves one member and shows the result. jdy-config.json beside the program holds the
' client configuration (see the README's Configuration section).
Public Sub JdySaveExample()
    Dim config As String, buffer As String, member As String, result As String
    Dim client As Long, n As Long, f As Integer

    f = FreeFile
    Open App.Path & "\jdy-config.json" For Binary Access Read As #f
    config = Space$(LOF(f))
    Get #f, , config
    Close #f

    buffer = String$(4096, vbNullChar)
    client = jdy_client_new_a(config, buffer, Len(buffer))
    If client = 0 Then
        MsgBox JdyLastResult(), vbCritical, "jdy_client_new_a"
        Exit Sub
    End If

    ' The API spec's example member, named (hui yuan)A: ChrW$ keeps this file ASCII.
    member = "{""mobile"":""13333333333"",""name"":" & _
        JdyJsonString(ChrW$(&H4F1A) & ChrW$(&H5458) & "A") & ",""sex_group"":""1""}"
    buffer = String$(4096, vbNullChar)
    n = jdy_member_save_a(client, member, buffer, Len(buffer))
    result = JdyResult(n, buffer)
    If Left$(result, 10) = "{""ok"":true" Then
        MsgBox result, vbInformation, "saved"
    Else
        MsgBox result, vbExclamation, "not saved"
    End If

    jdy_client_free_a client
End Sub
