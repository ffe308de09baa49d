(* jdy_member.pas: Delphi and Free Pascal imports of the jdy-member C ABI
  (include/jdy_member.h), with a small TJdyClient class around them.

  Compilers
    Delphi 7 .. 2007    string = AnsiString in the system code page (GBK, 936, on a Chinese
                        Windows). Text is converted ANSI -> UTF-16 -> UTF-8 on the way in and
                        back on the way out; a character the code page lacks comes back as '?'.
    Delphi 2009 and up  string = UnicodeString; converted with UTF8Encode / UTF8ToString.
    Free Pascal 3.x     -Mdelphi (or Lazarus): string = AnsiString with a code page; FPC's own
                        conversions are used (Lazarus strings are UTF-8, so nothing changes).
                        -Mdelphiunicode, or -dJDY_UNICODESTRINGS: string = UnicodeString.
    This file is ASCII on purpose, so that every compiler reads it the same way.

  Library name
    jdy_member.dll on Windows (32-bit program: the i686 DLL; 64-bit: the x86_64 DLL),
    libjdy_member.dylib on macOS, libjdy_member.so elsewhere. To use another name, define
    JDY_MEMBER_LIBNAME_INC and put one line such as
        JdyMemberLibrary = 'C:\Till\jdy_member.dll';
    in a file jdy_member_libname.inc on the include path. The imports are static (the
    program does not start without the library).

  Calling convention and types
    Every function is cdecl (not stdcall, which corrupts the stack on 32-bit Windows). All
    strings crossing are NUL-terminated UTF-8 (PAnsiChar); no bool or record crosses.

  Ownership
    - Every PAnsiChar a jdy_* function returns (except jdy_version) is an envelope owned by
      the caller, released with jdy_string_free, never with FreeMem/StrDispose/free().
      TJdyClient copies each one into a Pascal string and frees it at once, in a
      try/finally, before anything is parsed or raised.
    - Strings passed in are only read during the call.
    - jdy_version returns a static string: never free it.
    - A TJdyClient owns one native client and frees it in Destroy (call Free once).

  Threads
    - One TJdyClient may be used from many threads at once (the native client shares its
      token and connection pool); create one per process, not one per call.
    - Free it once, after every other call on it has returned.
    - On Unix, Free Pascal programs that start threads need cthreads as their first unit.

  Blocking
    SaveMember, SaveMembers, GetMember, ListMembers, Call, OutboxFlush and Doctor block on
    the network, retries and waits included, for at most the configuration's deadline_ms
    (default 60 s per member; Doctor makes a few requests, each within it): call them from a
    worker thread, not from the GUI thread. OutboxAdd, OutboxStatus, OutboxList, OutboxRetry
    and OutboxDiscard block only on the local disk (milliseconds; up to 10 s while another
    process holds the outbox file). Create, ValidateMember, Version and the free functions
    never touch the network.

  Floating point
    Delphi and FPC unmask floating-point exceptions that C and Rust code expects masked, so
    every call into the library masks them and restores the caller's mask afterwards (per
    thread). Define JDY_NO_FPU_MASK to leave the mask alone.

  Envelopes (the ABI's fixed shape)
    {"ok":true,"data":DATA} with optional marks after DATA, before the last brace:
    ,"recovered":true and ,"queued":true (a save), ,"references":[...] (jdy_member_validate);
    or {"ok":false,"error":{"kind":..,"message":..,"retryable":..,...}}.
    The end of DATA is found by reading it as JSON (strings, escapes, nested brackets), so
    that a mark of any shape after it is never taken for data; a mark this unit does not
    know (a newer library) is skipped.
    The methods return DATA as the exact JSON text the library wrote (converted to string),
    and raise EJdyError for a failure. This unit has no member logic: the library validates,
    resolves references, signs, retries, queues and parses. *)

{$IFDEF FPC}
  {$IFDEF FPC_UNICODESTRINGS}{$DEFINE JDY_UNICODESTRINGS}{$ENDIF}
  {$MODE DELPHI}
  {$IFDEF JDY_UNICODESTRINGS}{$MODESWITCH UNICODESTRINGS}{$ENDIF}
{$ENDIF}
{$H+}

{ JDY_VIA_WIDE: the conversion of Delphi 7..2007 (string -> WideString -> UTF-8). Chosen
  automatically there; a test may define JDY_FORCE_VIA_WIDE to run that code under FPC. }
{$IFNDEF UNICODE}
  {$IFNDEF FPC}
    {$DEFINE JDY_VIA_WIDE}
  {$ENDIF}
  {$IFDEF JDY_FORCE_VIA_WIDE}
    {$DEFINE JDY_VIA_WIDE}
  {$ENDIF}
{$ENDIF}

unit jdy_member;

interface

uses
  SysUtils{$IFNDEF JDY_NO_FPU_MASK}, Math{$ENDIF};

const
{$IFDEF JDY_MEMBER_LIBNAME_INC}
  {$I jdy_member_libname.inc}
{$ELSE}
  {$IFDEF MSWINDOWS}
  JdyMemberLibrary = 'jdy_member.dll';
  {$ELSE}
    {$IFDEF DARWIN}
  JdyMemberLibrary = 'libjdy_member.dylib';
    {$ELSE}
  JdyMemberLibrary = 'libjdy_member.so';
    {$ENDIF}
  {$ENDIF}
{$ENDIF}

  { The values of EJdyError.Kind (fixed by the library forever). }
  JdyKindInvalidArgument = 'invalid_argument';
  JdyKindValidation = 'validation';
  JdyKindConfig = 'config';
  JdyKindAuth = 'auth';
  JdyKindApi = 'api';
  JdyKindRateLimited = 'rate_limited';
  JdyKindServer = 'server';
  JdyKindNetwork = 'network';
  JdyKindTimeout = 'timeout';
  JdyKindInternal = 'internal';

type
  { An opaque native client (JdyClient * in C). }
  PJdyClient = Pointer;
  { char ** in C: where jdy_client_new stores an error envelope. }
  PJdyPAnsiChar = ^PAnsiChar;
  { UTF-8 bytes in a Pascal string (Delphi 7: a plain AnsiString holding UTF-8). }
{$IFDEF JDY_FORCE_VIA_WIDE}
  { Tests only: under FPC a RawByteString is converted implicitly no more than Delphi 7's
    UTF8String, so that the Delphi 7 conversion code alone does the work. }
  TJdyUtf8 = RawByteString;
{$ELSE}
  TJdyUtf8 = UTF8String;
{$ENDIF}

{ The C functions, exactly as in include/jdy_member.h. }
function jdy_version: PAnsiChar; cdecl; external JdyMemberLibrary;
function jdy_client_new(config_json: PAnsiChar; error_json: PJdyPAnsiChar): PJdyClient; cdecl; external JdyMemberLibrary;
procedure jdy_client_free(client: PJdyClient); cdecl; external JdyMemberLibrary;
function jdy_member_save(client: PJdyClient; member_json: PAnsiChar): PAnsiChar; cdecl; external JdyMemberLibrary;
function jdy_member_save_batch(client: PJdyClient; members_json: PAnsiChar; options_json: PAnsiChar): PAnsiChar; cdecl; external JdyMemberLibrary;
function jdy_member_get(client: PJdyClient; query_json: PAnsiChar): PAnsiChar; cdecl; external JdyMemberLibrary;
function jdy_member_list(client: PJdyClient; query_json: PAnsiChar): PAnsiChar; cdecl; external JdyMemberLibrary;
function jdy_member_validate(member_json: PAnsiChar): PAnsiChar; cdecl; external JdyMemberLibrary;
function jdy_outbox_add(client: PJdyClient; member_json: PAnsiChar): PAnsiChar; cdecl; external JdyMemberLibrary;
function jdy_outbox_flush(client: PJdyClient; options_json: PAnsiChar): PAnsiChar; cdecl; external JdyMemberLibrary;
function jdy_outbox_status(client: PJdyClient): PAnsiChar; cdecl; external JdyMemberLibrary;
function jdy_outbox_list(client: PJdyClient; query_json: PAnsiChar): PAnsiChar; cdecl; external JdyMemberLibrary;
function jdy_outbox_retry(client: PJdyClient; query_json: PAnsiChar): PAnsiChar; cdecl; external JdyMemberLibrary;
function jdy_outbox_discard(client: PJdyClient; query_json: PAnsiChar): PAnsiChar; cdecl; external JdyMemberLibrary;
function jdy_call(client: PJdyClient; request_json: PAnsiChar): PAnsiChar; cdecl; external JdyMemberLibrary;
function jdy_doctor(client: PJdyClient): PAnsiChar; cdecl; external JdyMemberLibrary;
procedure jdy_string_free(s: PAnsiChar); cdecl; external JdyMemberLibrary;

type
  { One invalid field of a member (kind validation). }
  TJdyFieldError = record
    Field: string;    { the API name, e.g. mobile }
    Message: string;  { what is wrong and how to correct it (English) }
  end;
  TJdyFieldErrors = array of TJdyFieldError;

  { A call failed. Message is the library's English message (what to do); the rest comes
    from the error envelope unchanged. }
  EJdyError = class(Exception)
  private
    FKind: string;
    FErrCode: Int64;
    FHasErrCode: Boolean;
    FDescription: string;
    FDescriptionCn: string;
    FHttpStatus: Integer;
    FRetryable: Boolean;
    FOutcomeUnknown: Boolean;
    FFields: TJdyFieldErrors;
    FEnvelopeJson: string;
    FErrorMessage: string;
    procedure InitMessage(const AMessage: string);
  public
    { The error of a failure envelope (UTF-8, as the library returned it). }
    constructor CreateFromEnvelope(const EnvelopeUtf8: TJdyUtf8);
    { An error found by this unit itself (kind internal, for one). }
    constructor CreateKind(const AKind, AMessage: string);
    function FieldCount: Integer;
    { The invalid fields' names, comma-separated ('' when none). }
    function FieldNames: string;
    { invalid_argument, validation, config, auth, api, rate_limited, server, network,
      timeout or internal (the JdyKind* constants). }
    property Kind: string read FKind;
    { Kingdee's errcode, 0 when there is none (see HasErrCode). }
    property ErrCode: Int64 read FErrCode;
    property HasErrCode: Boolean read FHasErrCode;
    { Kingdee's own text, untouched (often Chinese); '' when none. }
    property Description: string read FDescription;
    { The gateway's Chinese text, when it gave one. }
    property DescriptionCn: string read FDescriptionCn;
    { The HTTP status of the answer, 0 when no answer arrived. }
    property HttpStatus: Integer read FHttpStatus;
    { True: the same call may succeed later (network, timeout, rate limit, server). }
    property Retryable: Boolean read FRetryable;
    { True: a save may have been stored; look the member up before saving it again. }
    property OutcomeUnknown: Boolean read FOutcomeUnknown;
    { Every invalid field, for kind validation. }
    property Fields: TJdyFieldErrors read FFields;
    { Message as this unit's string type (the same text; differs from Message only under
      FPC with unicodestrings, where Exception.Message is an AnsiString holding UTF-8). }
    property ErrorMessage: string read FErrorMessage;
    { The whole error envelope, as JSON text. }
    property EnvelopeJson: string read FEnvelopeJson;
  end;

  { A native client: configuration, connection pool and token. Thread-safe; see above. }
  TJdyClient = class
  private
    FHandle: PJdyClient;
  public
    { ConfigJson: the configuration object (see the library's README). Raises EJdyError
      (kind invalid_argument or config) when it is refused. }
    constructor Create(const ConfigJson: string);
    { Frees the native client. Only once no other call on this client is running. }
    destructor Destroy; override;
    { Validates the member (JSON object with the API's field names) and saves it; returns
      Kingdee's answer (id, custom_no, mobile, name, ...). Raises EJdyError. }
    function SaveMember(const MemberJson: string): string; overload;
    { As above; Recovered: the answer was lost and the member was found stored as sent. }
    function SaveMember(const MemberJson: string; out Recovered: Boolean): string; overload;
    { As above; Queued: kept in the library's outbox instead of sent. }
    function SaveMember(const MemberJson: string; out Recovered, Queued: Boolean): string; overload;
    (* MembersJson: a JSON array of members; OptionsJson: '' for the defaults or e.g.
      {"concurrency":4,"rate":10}. Returns {"results":[one envelope per member],"saved":n,
      "queued":n,"recovered":n,"refused":n,"failed":n} (queued: kept in the outbox, with
      "offline":"queue"); raises only for bad arguments. *)
    function SaveMembers(const MembersJson: string; const OptionsJson: string = ''): string;
    (* QueryJson: {"mobile":"..."} or {"id":"..."}. Returns the member, or '' when there is
      no such member. *)
    function GetMember(const QueryJson: string): string;
    { As GetMember; False (and MemberJson '') when there is no such member. }
    function TryGetMember(const QueryJson: string; out MemberJson: string): Boolean;
    { QueryJson: filters and page, page_size. Returns Kingdee's page (count, rows, ...). }
    function ListMembers(const QueryJson: string): string;
    { Offline: the member exactly as it would be sent, or EJdyError (kind validation)
      listing every invalid field. Needs no client. }
    class function ValidateMember(const MemberJson: string): string; overload;
    (* As above; ReferencesJson: the references given by name or number (shop, sale_shop,
      level, customer; labels go as given) that a save resolves to ids, as the JSON array
      the library wrote, [{"field":"shop","kind":"store","value":"..."}], or '[]' when there
      are none.
      Offline: whether such a name exists is found out only by a save. *)
    class function ValidateMember(const MemberJson: string; out ReferencesJson: string): string; overload;

    { The outbox (the configuration's outbox_path; a client without one raises kind
      config). Each returns the envelope's data as JSON text or raises EJdyError. }
    (* Validates the member offline and keeps it in the outbox, durably; returns
      {"outbox_id":"ob-...","state":"queued","mobile":"...","queued_at":"..."} (and
      "merged":true when it replaced a queued member with the same mobile). Local disk only. *)
    function OutboxAdd(const MemberJson: string): string;
    (* Sends what the outbox holds, oldest first, each exactly once. OptionsJson: '' for the
      defaults or {"max":n,"deadline_ms":n,"concurrency":1-64}. Returns {"saved":n,
      "recovered":n,"refused":n,"failed":n,"left":n}. Blocks on the network. *)
    function OutboxFlush(const OptionsJson: string = ''): string;
    (* {"queued":n,"sending":n,"saved":n,"refused":n,"discarded":n,"in_doubt":n,
      "oldest_queued_at":..,"last_error":..}. Local disk only. *)
    function OutboxStatus: string;
    (* QueryJson: '' for everything or {"state":"queued"|"sending"|"saved"|"refused"|
      "discarded","limit":1-1000,"after":"<outbox_id>"}. Returns {"items":[...],"count":n},
      oldest first. Local disk only. *)
    function OutboxList(const QueryJson: string = ''): string;
    (* QueryJson: {"outbox_id":"...","member":{corrected member, optional}} (returns the
      item) or {"state":"refused"} (returns {"requeued":n}). Local disk only. *)
    function OutboxRetry(const QueryJson: string): string;
    (* QueryJson: {"outbox_id":"..."} (returns the item) or {"state":"refused"} (returns
      {"discarded":n}); the items stay in the outbox as discarded. Local disk only. *)
    function OutboxDiscard(const QueryJson: string): string;

    (* Any other JDY endpoint through this client's signing, token, budget, retries and
      decryption. RequestJson: {"method":"GET"|"POST","path":"/jdy/v2/...","query":{..},
      "body":{..},"idempotent":false}. Returns Kingdee's data as JSON text ('null' when it
      is null). A path outside /jdy/ raises kind validation (field path). Blocks on the
      network. *)
    function Call(const RequestJson: string): string;
    (* Checks the configuration, DNS, gateway and TLS, clock, authorization, token, each
      API's permission and the request budget. Returns {"checks":[{"name","verdict",
      "detail","advice"}],"failed":n,"warnings":n}; raises only for a bad argument.
      Blocks on the network for a few requests. *)
    function Doctor: string;

    { The library's version, e.g. 0.2.0. }
    class function Version: string;
    { The native client, for calling the jdy_* functions directly. Owned by this object. }
    property Handle: PJdyClient read FHandle;
  end;

{ Program string -> UTF-8 bytes, and back (see Compilers above). }
function JdyToUtf8(const S: string): TJdyUtf8;
function JdyFromUtf8(const U: TJdyUtf8): string;

{ Copies a returned envelope into a Pascal string and frees it with jdy_string_free (also
  when the copy fails). nil gives ''. }
function JdyTakeEnvelope(P: PAnsiChar): TJdyUtf8;

{ Takes an envelope apart: returns DATA as text (IsNull: DATA is null, and '' is returned),
  or raises EJdyError for a failure envelope or one this unit does not understand. }
function JdyUnwrapEnvelope(const EnvelopeUtf8: TJdyUtf8; out IsNull, Recovered, Queued: Boolean): string; overload;
{ As above; ReferencesJson: the "references" array after DATA as JSON text, '[]' when the
  envelope has none. }
function JdyUnwrapEnvelope(const EnvelopeUtf8: TJdyUtf8; out IsNull, Recovered, Queued: Boolean;
  out ReferencesJson: string): string; overload;

{ S as a JSON string literal, quotes included, for building member JSON from program
  strings: JdyJsonQuote('A"B') = '"A\"B"'. }
function JdyJsonQuote(const S: string): string;

implementation

const
  OkDataPrefix = '{"ok":true,"data":';
  OkPrefix = '{"ok":true';
  ErrorPrefix = '{"ok":false,"error":';

{ ---- floating point ---- }

{$IFNDEF JDY_NO_FPU_MASK}
type
  TJdyFpuState = TFPUExceptionMask;

function EnterNative: TJdyFpuState;
begin
  Result := SetExceptionMask([exInvalidOp, exDenormalized, exZeroDivide, exOverflow,
    exUnderflow, exPrecision]);
end;

procedure LeaveNative(const Saved: TJdyFpuState);
begin
  { Flags raised while masked must not fire when the caller's mask comes back. Delphi's
    Set8087CW (under SetExceptionMask) clears them itself. }
{$IFDEF FPC}
  ClearExceptions(False);
{$ENDIF}
  SetExceptionMask(Saved);
end;
{$ELSE}
type
  TJdyFpuState = Integer;

function EnterNative: TJdyFpuState;
begin
  Result := 0;
end;

procedure LeaveNative(const Saved: TJdyFpuState);
begin
  if Saved <> 0 then
    Exit; { nothing to restore }
end;
{$ENDIF}

{ ---- UTF-8 ---- }

{ Len bytes at P, as a TJdyUtf8 (no code page conversion anywhere). }
function Utf8FromBytes(P: PAnsiChar; Len: Integer): TJdyUtf8;
begin
  Result := '';
  if Len > 0 then
  begin
    SetLength(Result, Len);
    Move(P^, Result[1], Len);
  end;
end;

{ S[Start..Start+Len-1], copied as bytes (Copy's result type differs between compilers). }
function SubUtf8(const S: TJdyUtf8; Start, Len: Integer): TJdyUtf8;
begin
  if (Start < 1) or (Len <= 0) or (Start + Len - 1 > Length(S)) then
    Result := ''
  else
    Result := Utf8FromBytes(PAnsiChar(S) + (Start - 1), Len);
end;

function CStrLen(P: PAnsiChar): Integer;
begin
  Result := 0;
  if P <> nil then
    while P[Result] <> #0 do
      Inc(Result);
end;

{ Appends code point C as UTF-8 at Buf[N+1..]; Buf must have room (4 bytes). }
procedure PutUtf8(var Buf: TJdyUtf8; var N: Integer; C: Cardinal);
begin
  if (C > $10FFFF) or ((C >= $D800) and (C <= $DFFF)) then
    C := $FFFD;
  if C < $80 then
  begin
    Inc(N); Buf[N] := AnsiChar(C);
  end
  else if C < $800 then
  begin
    Inc(N); Buf[N] := AnsiChar($C0 or (C shr 6));
    Inc(N); Buf[N] := AnsiChar($80 or (C and $3F));
  end
  else if C < $10000 then
  begin
    Inc(N); Buf[N] := AnsiChar($E0 or (C shr 12));
    Inc(N); Buf[N] := AnsiChar($80 or ((C shr 6) and $3F));
    Inc(N); Buf[N] := AnsiChar($80 or (C and $3F));
  end
  else
  begin
    Inc(N); Buf[N] := AnsiChar($F0 or (C shr 18));
    Inc(N); Buf[N] := AnsiChar($80 or ((C shr 12) and $3F));
    Inc(N); Buf[N] := AnsiChar($80 or ((C shr 6) and $3F));
    Inc(N); Buf[N] := AnsiChar($80 or (C and $3F));
  end;
end;

{$IFDEF JDY_VIA_WIDE}
{ UTF-16 -> UTF-8, surrogate pairs joined (Delphi 7's UTF8Encode writes them as two 3-byte
  sequences, which the library refuses as invalid UTF-8); a lone surrogate becomes U+FFFD. }
function WideToUtf8(const W: WideString): TJdyUtf8;
var
  I, N, L: Integer;
  C, D: Cardinal;
begin
  L := Length(W);
  Result := '';
  SetLength(Result, L * 3);
  N := 0;
  I := 1;
  while I <= L do
  begin
    C := Ord(W[I]);
    Inc(I);
    if (C >= $D800) and (C <= $DBFF) and (I <= L) then
    begin
      D := Ord(W[I]);
      if (D >= $DC00) and (D <= $DFFF) then
      begin
        C := $10000 + ((C - $D800) shl 10) + (D - $DC00);
        Inc(I);
      end;
    end;
    PutUtf8(Result, N, C);
  end;
  SetLength(Result, N);
end;

{ UTF-8 -> UTF-16; 4-byte sequences become surrogate pairs (Delphi 7's UTF8Decode returns ''
  for a whole text containing one), a malformed byte becomes U+FFFD. }
function Utf8ToWide(const U: TJdyUtf8): WideString;
var
  I, N, L, Need, K: Integer;
  B, C, Min: Cardinal;
begin
  L := Length(U);
  Result := '';
  SetLength(Result, L);
  N := 0;
  I := 1;
  while I <= L do
  begin
    B := Ord(U[I]);
    Inc(I);
    Need := 0;
    Min := 0;
    if B < $80 then
      C := B
    else if (B and $E0) = $C0 then
    begin
      C := B and $1F; Need := 1; Min := $80;
    end
    else if (B and $F0) = $E0 then
    begin
      C := B and $0F; Need := 2; Min := $800;
    end
    else if (B and $F8) = $F0 then
    begin
      C := B and $07; Need := 3; Min := $10000;
    end
    else
      C := $FFFD;
    K := 0;
    while (K < Need) and (I <= L) and ((Ord(U[I]) and $C0) = $80) do
    begin
      C := (C shl 6) or (Ord(U[I]) and $3F);
      Inc(I);
      Inc(K);
    end;
    if (K < Need) or (C < Min) or (C > $10FFFF) or ((C >= $D800) and (C <= $DFFF)) then
      C := $FFFD;
    if C >= $10000 then
    begin
      Dec(C, $10000);
      Inc(N); Result[N] := WideChar($D800 + (C shr 10));
      Inc(N); Result[N] := WideChar($DC00 + (C and $3FF));
    end
    else
    begin
      Inc(N); Result[N] := WideChar(C);
    end;
  end;
  SetLength(Result, N);
end;
{$ENDIF}

function JdyToUtf8(const S: string): TJdyUtf8;
begin
{$IFDEF UNICODE}
  { Delphi 2009+, FPC unicodestrings: UTF-16 -> UTF-8. }
  Result := UTF8Encode(S);
{$ELSE}
  {$IFDEF JDY_VIA_WIDE}
  { Delphi 7..2007: the system code page (e.g. GBK) -> UTF-16 (MultiByteToWideChar under the
    implicit conversion) -> UTF-8. }
  Result := WideToUtf8(WideString(S));
  {$ELSE}
  { FPC AnsiString: the RTL converts from S's own code page (none when it is UTF-8). }
  Result := S;
  {$ENDIF}
{$ENDIF}
end;

function JdyFromUtf8(const U: TJdyUtf8): string;
begin
{$IFDEF UNICODE}
  {$IFDEF FPC}
  Result := UTF8Decode(U);
  {$ELSE}
  Result := UTF8ToString(U);
  {$ENDIF}
{$ELSE}
  {$IFDEF JDY_VIA_WIDE}
  { UTF-8 -> UTF-16 -> the system code page (WideCharToMultiByte under the implicit
    conversion); characters the code page lacks become '?'. }
  Result := string(Utf8ToWide(U));
  {$ELSE}
  { FPC AnsiString: converted to the system code page (DefaultSystemCodePage). }
  Result := U;
  {$ENDIF}
{$ENDIF}
end;

function JdyTakeEnvelope(P: PAnsiChar): TJdyUtf8;
begin
  Result := '';
  if P = nil then
    Exit;
  try
    Result := Utf8FromBytes(P, CStrLen(P));
  finally
    jdy_string_free(P);
  end;
end;

{ ---- a small JSON reader for the error object ---- }

{ A and B hold the same bytes (no code page conversion on the way). }
function Same(const A: TJdyUtf8; const B: AnsiString): Boolean;
var
  K: Integer;
begin
  Result := False;
  if Length(A) <> Length(B) then
    Exit;
  for K := 1 to Length(B) do
    if A[K] <> B[K] then
      Exit;
  Result := True;
end;

function HasPrefix(const S: TJdyUtf8; const Prefix: AnsiString): Boolean;
var
  K: Integer;
begin
  Result := False;
  if Length(S) < Length(Prefix) then
    Exit;
  for K := 1 to Length(Prefix) do
    if S[K] <> Prefix[K] then
      Exit;
  Result := True;
end;


function IsWs(C: AnsiChar): Boolean;
begin
  Result := (C = ' ') or (C = #9) or (C = #10) or (C = #13);
end;

procedure SkipWs(const S: TJdyUtf8; var I: Integer);
begin
  while (I <= Length(S)) and IsWs(S[I]) do
    Inc(I);
end;

function HexValue(C: AnsiChar): Integer;
begin
  case C of
    '0'..'9': Result := Ord(C) - Ord('0');
    'a'..'f': Result := Ord(C) - Ord('a') + 10;
    'A'..'F': Result := Ord(C) - Ord('A') + 10;
  else
    Result := -1;
  end;
end;

{ Four hex digits at S[I..I+3]; -1 when they are not. }
function Hex4(const S: TJdyUtf8; I: Integer): Integer;
var
  K, H: Integer;
begin
  Result := -1;
  if I + 3 > Length(S) then
    Exit;
  Result := 0;
  for K := 0 to 3 do
  begin
    H := HexValue(S[I + K]);
    if H < 0 then
    begin
      Result := -1;
      Exit;
    end;
    Result := Result * 16 + H;
  end;
end;

{ S[I] is '"': reads the string, unescaped to UTF-8 (\uXXXX and surrogate pairs included),
  and leaves I after the closing quote. False when it is malformed. }
function ReadString(const S: TJdyUtf8; var I: Integer; out Value: TJdyUtf8): Boolean;
var
  N, H, Lo: Integer;
  C: AnsiChar;
  Code: Cardinal;
begin
  Result := False;
  Value := '';
  if (I > Length(S)) or (S[I] <> '"') then
    Exit;
  Inc(I);
  { An escape never makes the text longer: \uXXXX (6 bytes) is at most 3 bytes of UTF-8,
    a pair (12 bytes) 4. }
  SetLength(Value, Length(S) - I + 1);
  N := 0;
  while I <= Length(S) do
  begin
    C := S[I];
    if C = '"' then
    begin
      Inc(I);
      SetLength(Value, N);
      Result := True;
      Exit;
    end;
    if C <> '\' then
    begin
      if Ord(C) < $20 then
        Exit; { a raw control character is not JSON }
      Inc(N);
      Value[N] := C;
      Inc(I);
      Continue;
    end;
    Inc(I);
    if I > Length(S) then
      Exit;
    C := S[I];
    Inc(I);
    case C of
      '"', '\', '/': begin Inc(N); Value[N] := C; end;
      'b': begin Inc(N); Value[N] := #8; end;
      'f': begin Inc(N); Value[N] := #12; end;
      'n': begin Inc(N); Value[N] := #10; end;
      'r': begin Inc(N); Value[N] := #13; end;
      't': begin Inc(N); Value[N] := #9; end;
      'u':
        begin
          H := Hex4(S, I);
          if H < 0 then
            Exit;
          Inc(I, 4);
          Code := Cardinal(H);
          if (H >= $D800) and (H <= $DBFF) and (I + 5 <= Length(S)) and (S[I] = '\')
            and (S[I + 1] = 'u') then
          begin
            Lo := Hex4(S, I + 2);
            if (Lo >= $DC00) and (Lo <= $DFFF) then
            begin
              Code := $10000 + (Cardinal(H - $D800) shl 10) + Cardinal(Lo - $DC00);
              Inc(I, 6);
            end;
          end;
          PutUtf8(Value, N, Code); { a lone surrogate becomes U+FFFD }
        end;
    else
      Exit;
    end;
  end;
end;

{ S[I] is '"': leaves I after the string's closing quote, escapes (\" \\ \uXXXX) read as
  such; copies nothing, so that skipping a large DATA stays linear. False when malformed. }
function SkipString(const S: TJdyUtf8; var I: Integer): Boolean;
begin
  Result := False;
  if (I > Length(S)) or (S[I] <> '"') then
    Exit;
  Inc(I);
  while I <= Length(S) do
  begin
    case S[I] of
      '"':
        begin
          Inc(I);
          Result := True;
          Exit;
        end;
      '\':
        begin
          Inc(I);
          if I > Length(S) then
            Exit;
          case S[I] of
            '"', '\', '/', 'b', 'f', 'n', 'r', 't':
              Inc(I);
            'u':
              begin
                if Hex4(S, I + 1) < 0 then
                  Exit;
                Inc(I, 5);
              end;
          else
            Exit;
          end;
        end;
    else
      if Ord(S[I]) < $20 then
        Exit; { a raw control character is not JSON }
      Inc(I);
    end;
  end;
end;

{ Skips one JSON value at S[I] (objects and arrays with everything inside, strings with
  their escapes, so that a bracket or quote inside a string is never counted). }
function SkipValue(const S: TJdyUtf8; var I: Integer): Boolean;
var
  Depth: Integer;
begin
  Result := False;
  SkipWs(S, I);
  if I > Length(S) then
    Exit;
  case S[I] of
    '"':
      Result := SkipString(S, I);
    '{', '[':
      begin
        Depth := 0;
        while I <= Length(S) do
        begin
          case S[I] of
            '"':
              begin
                if not SkipString(S, I) then
                  Exit;
                Continue;
              end;
            '{', '[': Inc(Depth);
            '}', ']':
              begin
                Dec(Depth);
                if Depth = 0 then
                begin
                  Inc(I);
                  Result := True;
                  Exit;
                end;
              end;
          end;
          Inc(I);
        end;
      end;
  else
    { a number, true, false or null }
    while (I <= Length(S)) and not IsWs(S[I]) and (S[I] <> ',') and (S[I] <> '}')
      and (S[I] <> ']') do
      Inc(I);
    Result := True;
  end;
end;

{ A literal value (number, true, false, null) at S[I], as text. }
function ReadLiteral(const S: TJdyUtf8; var I: Integer): TJdyUtf8;
var
  Start: Integer;
begin
  Start := I;
  SkipValue(S, I);
  Result := SubUtf8(S, Start, I - Start);
end;

{ A JSON integer's digits as Int64; False when it is not a plain integer. }
function ParseInt64(const T: TJdyUtf8; out V: Int64): Boolean;
var
  I: Integer;
  Negative: Boolean;
begin
  Result := False;
  V := 0;
  I := 1;
  Negative := (Length(T) > 0) and (T[1] = '-');
  if Negative then
    Inc(I);
  if I > Length(T) then
    Exit;
  while I <= Length(T) do
  begin
    if not (T[I] in ['0'..'9']) or (V > (High(Int64) - 9) div 10) then
      Exit;
    V := V * 10 + (Ord(T[I]) - Ord('0'));
    Inc(I);
  end;
  if Negative then
    V := -V;
  Result := True;
end;

(* The object at S[I] ({"field":..,"message":..}) as a field error. *)
function ReadFieldError(const S: TJdyUtf8; var I: Integer; out F: TJdyFieldError): Boolean;
var
  Key, Value: TJdyUtf8;
begin
  Result := False;
  F.Field := '';
  F.Message := '';
  SkipWs(S, I);
  if (I > Length(S)) or (S[I] <> '{') then
    Exit;
  Inc(I);
  SkipWs(S, I);
  if (I <= Length(S)) and (S[I] = '}') then
  begin
    Inc(I);
    Result := True;
    Exit;
  end;
  while True do
  begin
    SkipWs(S, I);
    if not ReadString(S, I, Key) then
      Exit;
    SkipWs(S, I);
    if (I > Length(S)) or (S[I] <> ':') then
      Exit;
    Inc(I);
    SkipWs(S, I);
    if (I <= Length(S)) and (S[I] = '"') and ((Same(Key, 'field')) or (Same(Key, 'message'))) then
    begin
      if not ReadString(S, I, Value) then
        Exit;
      if Same(Key, 'field') then
        F.Field := JdyFromUtf8(Value)
      else
        F.Message := JdyFromUtf8(Value);
    end
    else if not SkipValue(S, I) then
      Exit;
    SkipWs(S, I);
    if I > Length(S) then
      Exit;
    if S[I] = '}' then
    begin
      Inc(I);
      Result := True;
      Exit;
    end;
    if S[I] <> ',' then
      Exit;
    Inc(I);
  end;
end;

{ ---- EJdyError ---- }

function NotUnderstood(const EnvelopeUtf8: TJdyUtf8; const Why: string): EJdyError;
begin
  Result := EJdyError.CreateKind(JdyKindInternal,
    'the library returned an envelope this unit does not understand (' + Why +
    '); the library and jdy_member.pas may be of different versions');
  Result.FEnvelopeJson := JdyFromUtf8(EnvelopeUtf8);
end;

procedure EJdyError.InitMessage(const AMessage: string);
begin
  FErrorMessage := AMessage;
{$IFDEF FPC}
  {$IFDEF UNICODE}
  { FPC's Exception.Message is an AnsiString even with unicodestrings: give it UTF-8 with
    its code page (Lazarus' convention), so that nothing is lost. }
  Message := UTF8Encode(AMessage);
  {$ELSE}
  Message := AMessage;
  {$ENDIF}
{$ELSE}
  Message := AMessage;
{$ENDIF}
end;

constructor EJdyError.CreateKind(const AKind, AMessage: string);
begin
  inherited Create('');
  InitMessage(AMessage);
  FKind := AKind;
  FEnvelopeJson := '{"ok":false,"error":{"kind":' + JdyJsonQuote(AKind) + ',"message":' +
    JdyJsonQuote(AMessage) + ',"retryable":false}}';
end;

constructor EJdyError.CreateFromEnvelope(const EnvelopeUtf8: TJdyUtf8);
var
  I, N: Integer;
  Key, Value, Lit: TJdyUtf8;
  Status: Int64;
  Msg: string;
  Good: Boolean;
  Field: TJdyFieldError;
begin
  inherited Create('');
  Msg := '';
  Good := False;
  FKind := JdyKindInternal;
  I := Length(ErrorPrefix) + 1;
  if HasPrefix(EnvelopeUtf8, ErrorPrefix) then
  begin
    SkipWs(EnvelopeUtf8, I);
    if (I <= Length(EnvelopeUtf8)) and (EnvelopeUtf8[I] = '{') then
    begin
      Inc(I);
      SkipWs(EnvelopeUtf8, I);
      Good := (I <= Length(EnvelopeUtf8)) and (EnvelopeUtf8[I] = '}');
      while not Good do
      begin
        SkipWs(EnvelopeUtf8, I);
        if not ReadString(EnvelopeUtf8, I, Key) then
          Break;
        SkipWs(EnvelopeUtf8, I);
        if (I > Length(EnvelopeUtf8)) or (EnvelopeUtf8[I] <> ':') then
          Break;
        Inc(I);
        SkipWs(EnvelopeUtf8, I);
        if I > Length(EnvelopeUtf8) then
          Break;
        if (EnvelopeUtf8[I] = '"') and ((Same(Key, 'kind')) or (Same(Key, 'message')) or
          (Same(Key, 'description')) or (Same(Key, 'description_cn'))) then
        begin
          if not ReadString(EnvelopeUtf8, I, Value) then
            Break;
          if Same(Key, 'kind') then
            FKind := JdyFromUtf8(Value)
          else if Same(Key, 'message') then
            Msg := JdyFromUtf8(Value)
          else if Same(Key, 'description') then
            FDescription := JdyFromUtf8(Value)
          else
            FDescriptionCn := JdyFromUtf8(Value);
        end
        else if (EnvelopeUtf8[I] = '[') and (Same(Key, 'fields')) then
        begin
          Inc(I);
          SkipWs(EnvelopeUtf8, I);
          if (I <= Length(EnvelopeUtf8)) and (EnvelopeUtf8[I] = ']') then
            Inc(I)
          else
            while True do
            begin
              if not ReadFieldError(EnvelopeUtf8, I, Field) then
                Break;
              N := Length(FFields);
              SetLength(FFields, N + 1);
              FFields[N] := Field;
              SkipWs(EnvelopeUtf8, I);
              if (I <= Length(EnvelopeUtf8)) and (EnvelopeUtf8[I] = ',') then
              begin
                Inc(I);
                Continue;
              end;
              if (I <= Length(EnvelopeUtf8)) and (EnvelopeUtf8[I] = ']') then
                Inc(I)
              else
                I := Length(EnvelopeUtf8) + 1; { malformed: stop below }
              Break;
            end;
        end
        else
        begin
          Lit := ReadLiteral(EnvelopeUtf8, I);
          if Same(Key, 'errcode') then
            FHasErrCode := ParseInt64(Lit, FErrCode)
          else if (Same(Key, 'http_status')) and ParseInt64(Lit, Status) then
            FHttpStatus := Integer(Status)
          else if Same(Key, 'retryable') then
            FRetryable := Same(Lit, 'true')
          else if Same(Key, 'outcome_unknown') then
            FOutcomeUnknown := Same(Lit, 'true');
        end;
        SkipWs(EnvelopeUtf8, I);
        if I > Length(EnvelopeUtf8) then
          Break;
        if EnvelopeUtf8[I] = '}' then
          Good := True
        else if EnvelopeUtf8[I] <> ',' then
          Break
        else
          Inc(I);
      end;
    end;
  end;
  if not Good then
  begin
    FKind := JdyKindInternal;
    Msg := 'the library returned an error envelope this unit cannot read; ' +
      'see EnvelopeJson (the library and jdy_member.pas may be of different versions)';
  end
  else if Msg = '' then
    Msg := 'the library reported an error of kind ' + FKind + ' without a message';
  InitMessage(Msg);
  FEnvelopeJson := JdyFromUtf8(EnvelopeUtf8);
end;

function EJdyError.FieldCount: Integer;
begin
  Result := Length(FFields);
end;

function EJdyError.FieldNames: string;
var
  I: Integer;
begin
  Result := '';
  for I := 0 to High(FFields) do
  begin
    if I > 0 then
      Result := Result + ',';
    Result := Result + FFields[I].Field;
  end;
end;

{ ---- envelopes ---- }

function JdyUnwrapEnvelope(const EnvelopeUtf8: TJdyUtf8; out IsNull, Recovered, Queued: Boolean;
  out ReferencesJson: string): string;
var
  I, Start: Integer;
  Data, Key, Value: TJdyUtf8;
begin
  IsNull := False;
  Recovered := False;
  Queued := False;
  ReferencesJson := '[]';
  Result := '';
  if HasPrefix(EnvelopeUtf8, OkDataPrefix) then
  begin
    { DATA ends where its JSON value ends (read, not searched for from the back). }
    I := Length(OkDataPrefix) + 1;
    SkipWs(EnvelopeUtf8, I);
    Start := I;
    if not SkipValue(EnvelopeUtf8, I) or (I = Start) then
      raise NotUnderstood(EnvelopeUtf8, 'a success envelope whose data cannot be read');
    Data := SubUtf8(EnvelopeUtf8, Start, I - Start);
    { Then the marks, each ,"key":value, up to the envelope's closing brace. }
    while True do
    begin
      SkipWs(EnvelopeUtf8, I);
      if I > Length(EnvelopeUtf8) then
        raise NotUnderstood(EnvelopeUtf8, 'a success envelope that does not end with }');
      if EnvelopeUtf8[I] = '}' then
        Break;
      if EnvelopeUtf8[I] <> ',' then
        raise NotUnderstood(EnvelopeUtf8, 'something other than a mark after data');
      Inc(I);
      SkipWs(EnvelopeUtf8, I);
      if not ReadString(EnvelopeUtf8, I, Key) then
        raise NotUnderstood(EnvelopeUtf8, 'a mark after data without a key');
      SkipWs(EnvelopeUtf8, I);
      if (I > Length(EnvelopeUtf8)) or (EnvelopeUtf8[I] <> ':') then
        raise NotUnderstood(EnvelopeUtf8, 'a mark after data without a value');
      Inc(I);
      SkipWs(EnvelopeUtf8, I);
      Start := I;
      if not SkipValue(EnvelopeUtf8, I) or (I = Start) then
        raise NotUnderstood(EnvelopeUtf8, 'a mark after data whose value cannot be read');
      Value := SubUtf8(EnvelopeUtf8, Start, I - Start);
      if Same(Key, 'recovered') then
        Recovered := Same(Value, 'true')
      else if Same(Key, 'queued') then
        Queued := Same(Value, 'true')
      else if Same(Key, 'references') then
      begin
        if (Length(Value) = 0) or (Value[1] <> '[') then
          raise NotUnderstood(EnvelopeUtf8, '"references" that is not an array');
        ReferencesJson := JdyFromUtf8(Value);
      end;
      { any other mark (a newer library's) is skipped }
    end;
    Inc(I);
    SkipWs(EnvelopeUtf8, I);
    if I <= Length(EnvelopeUtf8) then
      raise NotUnderstood(EnvelopeUtf8, 'text after the envelope''s closing brace');
    if Same(Data, 'null') then
      IsNull := True
    else
      Result := JdyFromUtf8(Data);
  end
  else if HasPrefix(EnvelopeUtf8, ErrorPrefix) then
    raise EJdyError.CreateFromEnvelope(EnvelopeUtf8)
  else if HasPrefix(EnvelopeUtf8, OkPrefix) then
    raise NotUnderstood(EnvelopeUtf8, 'a success envelope without "data" right after "ok"')
  else
    raise NotUnderstood(EnvelopeUtf8, 'it begins with neither {"ok":true nor {"ok":false');
end;

function JdyUnwrapEnvelope(const EnvelopeUtf8: TJdyUtf8; out IsNull, Recovered, Queued: Boolean): string;
var
  ReferencesJson: string;
begin
  Result := JdyUnwrapEnvelope(EnvelopeUtf8, IsNull, Recovered, Queued, ReferencesJson);
end;

function JdyJsonQuote(const S: string): string;
const
  HexDigits: array[0..15] of AnsiChar = '0123456789abcdef';
var
  U, Q: TJdyUtf8;
  I, N: Integer;
  C: AnsiChar;
begin
  { Quoted as UTF-8, where no byte of a multi-byte character looks like " or \ (in GBK a
    second byte can be \). }
  U := JdyToUtf8(S);
  Q := '';
  SetLength(Q, Length(U) * 6 + 2);
  N := 1;
  Q[1] := '"';
  for I := 1 to Length(U) do
  begin
    C := U[I];
    if (C = '"') or (C = '\') then
    begin
      Q[N + 1] := '\';
      Q[N + 2] := C;
      Inc(N, 2);
    end
    else if Ord(C) < $20 then
    begin
      Q[N + 1] := '\';
      Q[N + 2] := 'u';
      Q[N + 3] := '0';
      Q[N + 4] := '0';
      Q[N + 5] := HexDigits[Ord(C) shr 4];
      Q[N + 6] := HexDigits[Ord(C) and 15];
      Inc(N, 6);
    end
    else
    begin
      Inc(N);
      Q[N] := C;
    end;
  end;
  Inc(N);
  Q[N] := '"';
  SetLength(Q, N);
  Result := JdyFromUtf8(Q);
end;

{ ---- TJdyClient ---- }

{ Unwraps an envelope the library returned (copied and freed first). }
function Unwrap(P: PAnsiChar; out IsNull, Recovered, Queued: Boolean): string;
begin
  Result := JdyUnwrapEnvelope(JdyTakeEnvelope(P), IsNull, Recovered, Queued);
end;

function UnwrapData(P: PAnsiChar): string;
var
  IsNull, Recovered, Queued: Boolean;
begin
  Result := Unwrap(P, IsNull, Recovered, Queued);
end;

type
  { The shapes of the client functions the thin methods call. }
  TJdyJsonFunction = function(client: PJdyClient; json: PAnsiChar): PAnsiChar; cdecl;
  TJdyPlainFunction = function(client: PJdyClient): PAnsiChar; cdecl;

{ DATA of a thin method's envelope: its exact JSON text, 'null' included. }
function DataText(P: PAnsiChar): string;
var
  IsNull, Recovered, Queued: Boolean;
begin
  Result := Unwrap(P, IsNull, Recovered, Queued);
  if IsNull then
    Result := 'null';
end;

{ Calls Fn(Handle, Json as UTF-8). Optional: '' is passed as NULL (the library's defaults);
  else '' is passed as an empty string, which the library refuses as invalid_argument. }
function CallWithJson(Fn: TJdyJsonFunction; Handle: PJdyClient; const Json: string;
  Optional: Boolean): string;
var
  Utf8: TJdyUtf8;
  Arg, P: PAnsiChar;
  Fpu: TJdyFpuState;
begin
  Utf8 := JdyToUtf8(Json);
  if Optional and (Length(Utf8) = 0) then
    Arg := nil
  else
    Arg := PAnsiChar(Utf8);
  Fpu := EnterNative;
  try
    P := Fn(Handle, Arg);
  finally
    LeaveNative(Fpu);
  end;
  Result := DataText(P);
end;

function CallPlain(Fn: TJdyPlainFunction; Handle: PJdyClient): string;
var
  P: PAnsiChar;
  Fpu: TJdyFpuState;
begin
  Fpu := EnterNative;
  try
    P := Fn(Handle);
  finally
    LeaveNative(Fpu);
  end;
  Result := DataText(P);
end;

constructor TJdyClient.Create(const ConfigJson: string);
var
  Config: TJdyUtf8;
  ErrorJson: PAnsiChar;
  Envelope: TJdyUtf8;
  Fpu: TJdyFpuState;
begin
  inherited Create;
  Config := JdyToUtf8(ConfigJson);
  ErrorJson := nil;
  Fpu := EnterNative;
  try
    FHandle := jdy_client_new(PAnsiChar(Config), @ErrorJson);
  finally
    LeaveNative(Fpu);
  end;
  if FHandle = nil then
  begin
    Envelope := JdyTakeEnvelope(ErrorJson);
    if Length(Envelope) = 0 then
      raise EJdyError.CreateKind(JdyKindInternal,
        'jdy_client_new returned no client and no error envelope');
    raise EJdyError.CreateFromEnvelope(Envelope);
  end;
  if ErrorJson <> nil then
    jdy_string_free(ErrorJson); { never set on success; freed in case }
end;

destructor TJdyClient.Destroy;
var
  Fpu: TJdyFpuState;
begin
  if FHandle <> nil then
  begin
    Fpu := EnterNative;
    try
      jdy_client_free(FHandle);
    finally
      LeaveNative(Fpu);
    end;
    FHandle := nil;
  end;
  inherited Destroy;
end;

function TJdyClient.SaveMember(const MemberJson: string): string;
var
  Recovered, Queued: Boolean;
begin
  Result := SaveMember(MemberJson, Recovered, Queued);
end;

function TJdyClient.SaveMember(const MemberJson: string; out Recovered: Boolean): string;
var
  Queued: Boolean;
begin
  Result := SaveMember(MemberJson, Recovered, Queued);
end;

function TJdyClient.SaveMember(const MemberJson: string; out Recovered, Queued: Boolean): string;
var
  Member: TJdyUtf8;
  P: PAnsiChar;
  IsNull: Boolean;
  Fpu: TJdyFpuState;
begin
  Member := JdyToUtf8(MemberJson);
  Fpu := EnterNative;
  try
    P := jdy_member_save(FHandle, PAnsiChar(Member));
  finally
    LeaveNative(Fpu);
  end;
  Result := Unwrap(P, IsNull, Recovered, Queued);
end;

function TJdyClient.SaveMembers(const MembersJson: string; const OptionsJson: string): string;
var
  Members, Options: TJdyUtf8;
  OptionsPtr, P: PAnsiChar;
  Fpu: TJdyFpuState;
begin
  Members := JdyToUtf8(MembersJson);
  Options := JdyToUtf8(OptionsJson);
  if Length(Options) = 0 then
    OptionsPtr := nil { the defaults }
  else
    OptionsPtr := PAnsiChar(Options);
  Fpu := EnterNative;
  try
    P := jdy_member_save_batch(FHandle, PAnsiChar(Members), OptionsPtr);
  finally
    LeaveNative(Fpu);
  end;
  Result := UnwrapData(P);
end;

function TJdyClient.TryGetMember(const QueryJson: string; out MemberJson: string): Boolean;
var
  Query: TJdyUtf8;
  P: PAnsiChar;
  IsNull, Recovered, Queued: Boolean;
  Fpu: TJdyFpuState;
begin
  Query := JdyToUtf8(QueryJson);
  Fpu := EnterNative;
  try
    P := jdy_member_get(FHandle, PAnsiChar(Query));
  finally
    LeaveNative(Fpu);
  end;
  MemberJson := Unwrap(P, IsNull, Recovered, Queued);
  Result := not IsNull;
end;

function TJdyClient.GetMember(const QueryJson: string): string;
begin
  TryGetMember(QueryJson, Result);
end;

function TJdyClient.ListMembers(const QueryJson: string): string;
var
  Query: TJdyUtf8;
  P: PAnsiChar;
  Fpu: TJdyFpuState;
begin
  Query := JdyToUtf8(QueryJson);
  Fpu := EnterNative;
  try
    P := jdy_member_list(FHandle, PAnsiChar(Query));
  finally
    LeaveNative(Fpu);
  end;
  Result := UnwrapData(P);
end;

class function TJdyClient.ValidateMember(const MemberJson: string): string;
var
  ReferencesJson: string;
begin
  Result := ValidateMember(MemberJson, ReferencesJson);
end;

class function TJdyClient.ValidateMember(const MemberJson: string; out ReferencesJson: string): string;
var
  Member: TJdyUtf8;
  P: PAnsiChar;
  IsNull, Recovered, Queued: Boolean;
  Fpu: TJdyFpuState;
begin
  Member := JdyToUtf8(MemberJson);
  Fpu := EnterNative;
  try
    P := jdy_member_validate(PAnsiChar(Member));
  finally
    LeaveNative(Fpu);
  end;
  Result := JdyUnwrapEnvelope(JdyTakeEnvelope(P), IsNull, Recovered, Queued, ReferencesJson);
end;

function TJdyClient.OutboxAdd(const MemberJson: string): string;
begin
  Result := CallWithJson(jdy_outbox_add, FHandle, MemberJson, False);
end;

function TJdyClient.OutboxFlush(const OptionsJson: string): string;
begin
  Result := CallWithJson(jdy_outbox_flush, FHandle, OptionsJson, True);
end;

function TJdyClient.OutboxStatus: string;
begin
  Result := CallPlain(jdy_outbox_status, FHandle);
end;

function TJdyClient.OutboxList(const QueryJson: string): string;
begin
  Result := CallWithJson(jdy_outbox_list, FHandle, QueryJson, True);
end;

function TJdyClient.OutboxRetry(const QueryJson: string): string;
begin
  Result := CallWithJson(jdy_outbox_retry, FHandle, QueryJson, False);
end;

function TJdyClient.OutboxDiscard(const QueryJson: string): string;
begin
  Result := CallWithJson(jdy_outbox_discard, FHandle, QueryJson, False);
end;

function TJdyClient.Call(const RequestJson: string): string;
begin
  Result := CallWithJson(jdy_call, FHandle, RequestJson, False);
end;

function TJdyClient.Doctor: string;
begin
  Result := CallPlain(jdy_doctor, FHandle);
end;

class function TJdyClient.Version: string;
var
  P: PAnsiChar;
begin
  P := jdy_version; { static: not freed }
  Result := JdyFromUtf8(Utf8FromBytes(P, CStrLen(P)));
end;

end.
