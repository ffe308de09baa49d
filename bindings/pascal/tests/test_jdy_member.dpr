{ Tests of jdy_member.pas against a running `jdy-member sandbox` (Free Pascal, Linux).

    test_jdy_member CONFIG_FILE BASE_URL EXPECTED_VERSION

  CONFIG_FILE: the sandbox's "config" object plus "token_cache_path": null and
  "request_budget": null; BASE_URL: the sandbox's base_url (its controls are read over plain
  HTTP here). The sandbox is reset first, so the counts below are this run's own.

  Compiled by run-tests.sh three ways: -Mdelphi (string = AnsiString, FPC's conversions),
  -Mdelphi -dJDY_FORCE_VIA_WIDE (the unit's Delphi 7 conversion code) and -Mdelphiunicode
  (string = UnicodeString, as Delphi 2009+), and run under a UTF-8 and a GBK locale.
  Chinese text is built from bytes or code points: this file is ASCII, so no source code
  page matters. Prints "ok - NAME" or "not ok - NAME: DETAIL" per check and exits 1 when
  any check failed. }
program test_jdy_member;

{$IFDEF UNICODE}
  { FPC 3.2's own RTL (SysUtils, Classes) is AnsiString, so a unicodestrings program
    converts at every call and FPC says so each time; the text converted here is ASCII. }
  {$WARN 4104 OFF}
  {$WARN 4105 OFF}
{$ENDIF}

uses
  {$IFDEF UNIX}cthreads, cwstring,{$ENDIF}
  Classes, SysUtils, Math, Sockets, jdy_member;

var
  Passed: Integer = 0;
  Failed: Integer = 0;
  ConfigJson: string;
  BaseUrl: string;
  ExpectedVersion: string;

{ ---- reporting ---- }

procedure Check(Condition: Boolean; const Name: string; const Detail: string = '');
begin
  if Condition then
  begin
    Inc(Passed);
    Writeln('ok - ', Name);
  end
  else
  begin
    Inc(Failed);
    if Detail = '' then
      Writeln('not ok - ', Name)
    else
      Writeln('not ok - ', Name, ': ', Detail);
  end;
end;

{ Each char of S in hex (bytes for AnsiString, UTF-16 units for UnicodeString). }
function Hex(const S: string): string;
var
  I: Integer;
begin
  Result := '';
  for I := 1 to Length(S) do
    Result := Result + IntToHex(Ord(S[I]), 2 * SizeOf(Char));
end;

function HexBytes(const S: RawByteString): string;
var
  I: Integer;
begin
  Result := '';
  for I := 1 to Length(S) do
    Result := Result + IntToHex(Ord(S[I]), 2);
end;

function BytesFromHex(const H: string): RawByteString;
var
  I: Integer;
begin
  Result := '';
  SetLength(Result, Length(H) div 2);
  for I := 1 to Length(H) div 2 do
    Result[I] := AnsiChar(StrToInt('$' + Copy(H, 2 * I - 1, 2)));
end;

{ ASCII + the bytes of Utf8Hex + ASCII, as UTF-8 bytes untouched by any conversion. }
function Utf8Bytes(const Before: AnsiString; const Utf8Hex: string; const After: AnsiString): TJdyUtf8;
var
  Middle: RawByteString;
begin
  Middle := BytesFromHex(Utf8Hex);
  Result := '';
  SetLength(Result, Length(Before) + Length(Middle) + Length(After));
  Move(Before[1], Result[1], Length(Before));
  Move(Middle[1], Result[Length(Before) + 1], Length(Middle));
  Move(After[1], Result[Length(Before) + Length(Middle) + 1], Length(After));
end;

function IsGbk: Boolean;
begin
{$IFDEF UNICODE}
  Result := False;
{$ELSE}
  Result := DefaultSystemCodePage = 936;
{$ENDIF}
end;

{ Chinese text as this program's string holds it: UTF-16 units for UnicodeString; for
  AnsiString, bytes in the system code page (GBK under a GBK locale, else UTF-8). Built
  without the unit's own conversions. }
function Text(const Utf8Hex, GbkHex: string; const Units: array of Word): string;
var
  I: Integer;
{$IFNDEF UNICODE}
  B: RawByteString;
{$ENDIF}
begin
{$IFDEF UNICODE}
  Result := '';
  for I := 0 to High(Units) do
    Result := Result + WideChar(Units[I]);
{$ELSE}
  if IsGbk then
    B := BytesFromHex(GbkHex)
  else
    B := BytesFromHex(Utf8Hex);
  SetLength(Result, Length(B));
  for I := 1 to Length(B) do
    Result[I] := B[I];
{$ENDIF}
end;

function NameA: string;        { U+4F1A U+5458 A (the spec's name) }
begin
  Result := Text('E4BC9AE5919841', 'BBE1D4B141', [$4F1A, $5458, $41]);
end;

function NameB: string;        { U+4F1A U+5458 B }
begin
  Result := Text('E4BC9AE5919842', 'BBE1D4B142', [$4F1A, $5458, $42]);
end;

function Remark: string;       { U+5907 U+6CE8 (the spec's remark) }
begin
  Result := Text('E5A487E6B3A8', 'B1B8D7A2', [$5907, $6CE8]);
end;

function TrailBackslash: string; { U+4E57: its second GBK byte is a backslash (81 5C) }
begin
  Result := Text('E4B997', '815C', [$4E57]);
end;

function DuplicateText: string; { the sandbox's duplicate refusal, U+7EC4 U+5408 ... U+590D }
begin
  Result := Text('E7BB84E59088E580BCE4B88EE585B6E4BB96E8A1A8E58D95E9878DE5A48D',
    'D7E9BACFD6B5D3EBC6E4CBFBB1EDB5A5D6D8B8B4',
    [$7EC4, $5408, $503C, $4E0E, $5176, $4ED6, $8868, $5355, $91CD, $590D]);
end;

function StoreName: string;    { U+5357 U+4EAC U+897F U+8DEF U+5E97: the sandbox's store MD001 }
begin
  Result := Text('E58D97E4BAACE8A5BFE8B7AFE5BA97', 'C4CFBEA9CEF7C2B7B5EA',
    [$5357, $4EAC, $897F, $8DEF, $5E97]);
end;

function GoldCard: string;     { U+91D1 U+5361: the sandbox's member level L03 }
begin
  Result := Text('E98791E58DA1', 'BDF0BFA8', [$91D1, $5361]);
end;

const
  { The sandbox's store MD001: its id, and its name misspelt (the last character left out),
    as JSON escapes. }
  StoreId = '850693217107061760';
  MisspeltStoreJson = '"\u5357\u4eac\u897f\u8def"';

(* The member of the API spec (examples/seed-member.json) with another mobile or name, and
  ShopJson as its "shop" (a JSON value). *)
function SeedMemberAt(const Mobile, Name, ShopJson: string): string;
begin
  Result := '{"address":"410","birthday":"2022-08-01","custom_no":"1","customer":"001",' +
    '"detail_address":"XXX","enable":"1","end_date":"2022-01-01","is_delete":"0",' +
    '"join_way":"1","label":null,"level":"1","mbcard_id":"1","mobile":' + JdyJsonQuote(Mobile) +
    ',"name":' + JdyJsonQuote(Name) + ',"period":"1","referrere_mp":"1","remark":' +
    JdyJsonQuote(Remark) + ',"sale_shop":"1","sex_group":"1","shop":' + ShopJson + ',' +
    '"source":"1","start_date":"2022-01-01"}';
end;

function SeedMember(const Mobile, Name: string): string;
begin
  Result := SeedMemberAt(Mobile, Name, '"' + StoreId + '"');
end;

{ The text of the string value of Key in Json ('' when absent); plain values only. }
function JsonField(const Json, Key: string): string;
var
  P, Q: Integer;
begin
  Result := '';
  P := Pos('"' + Key + '":"', Json);
  if P = 0 then
    Exit;
  P := P + Length(Key) + 4;
  Q := P;
  while (Q <= Length(Json)) and (Json[Q] <> '"') do
    Inc(Q);
  Result := Copy(Json, P, Q - P);
end;

function Count(const Needle, Hay: string): Integer;
var
  P: Integer;
  Rest: string;
begin
  Result := 0;
  Rest := Hay;
  P := Pos(Needle, Rest);
  while P > 0 do
  begin
    Inc(Result);
    Rest := Copy(Rest, P + Length(Needle), MaxInt);
    P := Pos(Needle, Rest);
  end;
end;

function ReadFileText(const Path: string): string;
var
  F: TFileStream;
  B: RawByteString;
begin
  F := TFileStream.Create(Path, fmOpenRead);
  try
    B := '';
    SetLength(B, F.Size);
    if F.Size > 0 then
      F.ReadBuffer(B[1], F.Size);
  finally
    F.Free;
  end;
  { The file is UTF-8 (ASCII here); the program's string holds it as such. }
  Result := string(B);
end;

{ ---- the sandbox's controls, over plain HTTP/1.1 on loopback ---- }

{ The response body of METHOD BaseUrl+Path with a JSON Body (raw UTF-8); raises when it is
  not HTTP 200. }
function Http(const Method, Path: string; const Body: RawByteString = ''): RawByteString;
var
  Host, Req, Resp: RawByteString;
  Url: string;
  Port, Colon, HeaderEnd, Want, N, P: Integer;
  Sock: TSocket;
  Addr: TInetSockAddr;
  Buf: array[0..8191] of AnsiChar;
  Timeout: array[0..1] of PtrInt;
begin
  Url := BaseUrl;
  if Copy(Url, 1, 7) <> 'http://' then
    raise Exception.Create('BASE_URL must be http://host:port, not ' + Url);
  Url := Copy(Url, 8, MaxInt);
  Colon := Pos(':', Url);
  Host := RawByteString(Copy(Url, 1, Colon - 1));
  Port := StrToInt(Copy(Url, Colon + 1, MaxInt));
  Sock := fpSocket(AF_INET, SOCK_STREAM, 0);
  if Sock < 0 then
    raise Exception.Create('socket() failed');
  try
    Timeout[0] := 10; { seconds }
    Timeout[1] := 0;
    fpSetSockOpt(Sock, SOL_SOCKET, SO_RCVTIMEO, @Timeout, SizeOf(Timeout));
    FillChar(Addr, SizeOf(Addr), 0);
    Addr.sin_family := AF_INET;
    Addr.sin_port := htons(Port);
    Addr.sin_addr := StrToNetAddr(Host);
    if fpConnect(Sock, @Addr, SizeOf(Addr)) <> 0 then
      raise Exception.Create('cannot connect to the sandbox at ' + BaseUrl);
    Req := RawByteString(Method) + ' ' + RawByteString(Path) + ' HTTP/1.1'#13#10'Host: ' + Host +
      #13#10'Content-Type: application/json'#13#10'Content-Length: ' +
      RawByteString(IntToStr(Length(Body))) + #13#10'Connection: close'#13#10#13#10 + Body;
    fpSend(Sock, PAnsiChar(Req), Length(Req), 0);
    Resp := '';
    Want := -1;
    HeaderEnd := 0;
    repeat
      N := fpRecv(Sock, @Buf[0], SizeOf(Buf), 0);
      if N > 0 then
      begin
        P := Length(Resp);
        SetLength(Resp, P + N);
        Move(Buf[0], Resp[P + 1], N);
      end;
      if HeaderEnd = 0 then
      begin
        HeaderEnd := Pos(#13#10#13#10, Resp);
        if HeaderEnd > 0 then
        begin
          P := Pos('content-length:', LowerCase(Copy(Resp, 1, HeaderEnd)));
          if P > 0 then
            Want := StrToInt(Trim(Copy(Resp, P + 15, Pos(#13#10, Copy(Resp, P, MaxInt)) - 16)));
        end;
      end;
    until (N <= 0) or ((Want >= 0) and (HeaderEnd > 0) and (Length(Resp) >= HeaderEnd + 3 + Want));
  finally
    CloseSocket(Sock);
  end;
  if (Copy(Resp, 1, 12) <> 'HTTP/1.1 200') or (HeaderEnd = 0) then
    raise Exception.Create(Method + ' ' + Path + ' answered: ' + string(Copy(Resp, 1, 60)));
  Result := Copy(Resp, HeaderEnd + 4, MaxInt);
end;

{ Successful saves of Mobile the sandbox counted (saves_by_mobile), -1 when absent. }
function SavesOf(const Stats: RawByteString; const Mobile: string): Integer;
var
  P, Q: Integer;
  Key: RawByteString;
begin
  Result := -1;
  Key := '"' + RawByteString(Mobile) + '":';
  P := Pos('"saves_by_mobile":', Stats);
  if P = 0 then
    Exit;
  Q := Pos(Key, Copy(Stats, P, MaxInt));
  if Q = 0 then
    Exit;
  P := P + Q - 1 + Length(Key);
  Q := P;
  while (Q <= Length(Stats)) and (Stats[Q] in ['0'..'9']) do
    Inc(Q);
  Result := StrToIntDef(string(Copy(Stats, P, Q - P)), -1);
end;

function StatNumber(const Stats: RawByteString; const Key: string): Integer;
var
  P, Q: Integer;
  K: RawByteString;
begin
  Result := -1;
  K := '"' + RawByteString(Key) + '":';
  P := Pos(K, Stats);
  if P = 0 then
    Exit;
  P := P + Length(K);
  Q := P;
  while (Q <= Length(Stats)) and (Stats[Q] in ['0'..'9']) do
    Inc(Q);
  Result := StrToIntDef(string(Copy(Stats, P, Q - P)), -1);
end;

{ ---- tests ---- }

procedure TestVersion;
begin
  Check(TJdyClient.Version = ExpectedVersion, 'Version is the crate''s version',
    'got "' + TJdyClient.Version + '", expected "' + ExpectedVersion + '"');
  Check(string(AnsiString(jdy_version)) = ExpectedVersion, 'jdy_version returns the same static string');
end;

procedure TestNullSafeFrees;
var
  Client: TJdyClient;
begin
  jdy_string_free(nil);
  jdy_client_free(nil);
  Check(JdyTakeEnvelope(nil) = '', 'JdyTakeEnvelope(nil) is empty');
  Client := nil;
  Client.Free;
  Check(True, 'jdy_string_free(nil), jdy_client_free(nil) and TJdyClient(nil).Free do nothing');
end;

procedure TestRawNullArguments;
var
  Env: TJdyUtf8;
  IsNull, Recovered, Queued: Boolean;
  Kind: string;
begin
  Env := JdyTakeEnvelope(jdy_member_save(nil, nil));
  Check(Copy(Env, 1, 11) = '{"ok":false', 'jdy_member_save(NULL, NULL) answers an error envelope',
    string(Env));
  Kind := '';
  try
    JdyUnwrapEnvelope(Env, IsNull, Recovered, Queued);
  except
    on E: EJdyError do
      Kind := E.Kind;
  end;
  Check(Kind = JdyKindInvalidArgument, 'a NULL client is kind invalid_argument', Kind);
  Env := JdyTakeEnvelope(jdy_member_validate(nil));
  Check(Pos('"kind":"invalid_argument"', string(Env)) > 0, 'jdy_member_validate(NULL) is invalid_argument',
    string(Env));
end;

procedure TestBadConfig;
var
  Kind, Msg: string;
  Client: TJdyClient;
begin
  Kind := '';
  try
    Client := TJdyClient.Create('this is not JSON');
    Client.Free;
  except
    on E: EJdyError do
      Kind := E.Kind;
  end;
  Check(Kind = JdyKindInvalidArgument, 'a configuration that is not JSON raises invalid_argument', Kind);
  Kind := '';
  try
    Client := TJdyClient.Create('{"client_id":"only-this"}');
    Client.Free;
  except
    on E: EJdyError do
    begin
      Kind := E.Kind;
      Msg := E.ErrorMessage;
    end;
  end;
  Check(Kind = JdyKindConfig, 'an incomplete configuration raises config', Kind);
  Check(Pos('client_secret', Msg) > 0, 'the config error names what is missing', Msg);
end;

procedure TestVersionNotNetworked;
var
  I: Integer;
  Client: TJdyClient;
begin
  { Many clients created and freed: each frees its native client once. }
  for I := 1 to 50 do
  begin
    Client := TJdyClient.Create(ConfigJson);
    Client.Free;
  end;
  Check(True, '50 clients created and freed');
end;

procedure TestValidation;
var
  Normalised, Names: string;
  E2: EJdyError;
  I: Integer;
  AllMessages: Boolean;
begin
  Normalised := TJdyClient.ValidateMember(SeedMember('+86 133-3333-3333', NameA));
  Check(JsonField(Normalised, 'mobile') = '13333333333', 'ValidateMember normalises the mobile',
    Normalised);
  Check(Hex(JsonField(Normalised, 'name')) = Hex(NameA), 'ValidateMember keeps the Chinese name',
    Hex(JsonField(Normalised, 'name')) + ' <> ' + Hex(NameA));
  E2 := nil;
  try
    TJdyClient.ValidateMember('{"mobile":"123","name":"  ","sex_group":"9","birthday":"2022-02-30"}');
  except
    on E: EJdyError do
    begin
      E2 := EJdyError.CreateFromEnvelope(JdyToUtf8(E.EnvelopeJson));
    end;
  end;
  Check(E2 <> nil, 'an invalid member raises EJdyError');
  if E2 = nil then
    Exit;
  try
    Check(E2.Kind = JdyKindValidation, 'an invalid member is kind validation', E2.Kind);
    Names := ',' + E2.FieldNames + ',';
    Check((Pos(',mobile,', Names) > 0) and (Pos(',name,', Names) > 0) and
      (Pos(',sex_group,', Names) > 0) and (Pos(',birthday,', Names) > 0) and (E2.FieldCount = 4),
      'the validation error lists every invalid field', E2.FieldNames);
    AllMessages := True;
    for I := 0 to E2.FieldCount - 1 do
      if E2.Fields[I].Message = '' then
        AllMessages := False;
    Check(AllMessages, 'each invalid field has a message');
    Check(not E2.Retryable and not E2.HasErrCode, 'a validation error is not retryable and has no errcode');
  finally
    E2.Free;
  end;
end;

procedure TestInvalidArgument(Client: TJdyClient);
var
  Kind: string;
  Retryable: Boolean;
begin
  Kind := '';
  Retryable := True;
  try
    Client.SaveMember('{"mobile":"13333333333","name":');
  except
    on E: EJdyError do
    begin
      Kind := E.Kind;
      Retryable := E.Retryable;
    end;
  end;
  Check((Kind = JdyKindInvalidArgument) and not Retryable,
    'SaveMember of bad JSON raises invalid_argument, not retryable', Kind);
  Kind := '';
  try
    Client.SaveMember('');
  except
    on E: EJdyError do
      Kind := E.Kind;
  end;
  Check(Kind = JdyKindInvalidArgument, 'SaveMember('''') raises invalid_argument', Kind);
  Kind := '';
  try
    Client.SaveMember('[1,2]');
  except
    on E: EJdyError do
      Kind := E.Kind;
  end;
  Check(Kind = JdyKindInvalidArgument, 'SaveMember of a JSON array raises invalid_argument', Kind);
end;

procedure TestSaveAndReadBack(Client: TJdyClient);
var
  Saved, Member, Found: string;
  Recovered, Queued, Got: Boolean;
  Stored, Needle: RawByteString;
begin
  Saved := Client.SaveMember(SeedMember('13333333333', NameA), Recovered, Queued);
  Check(not Recovered and not Queued, 'a plain save is neither recovered nor queued');
  Check(JsonField(Saved, 'mobile') = '13333333333', 'the saved member''s mobile comes back decrypted',
    Saved);
  Check(Hex(JsonField(Saved, 'name')) = Hex(NameA), 'the saved member''s name is the Chinese name, byte for byte',
    Hex(JsonField(Saved, 'name')) + ' <> ' + Hex(NameA));
  Check(JsonField(Saved, 'id') <> '', 'the saved member has an id', Saved);

  Member := Client.GetMember('{"mobile":"13333333333"}');
  Check(Hex(JsonField(Member, 'name')) = Hex(NameA), 'GetMember reads the Chinese name back byte for byte',
    Hex(JsonField(Member, 'name')) + ' <> ' + Hex(NameA));
  Check(JsonField(Member, 'id') = JsonField(Saved, 'id'), 'GetMember finds the same id', Member);
  Got := Client.TryGetMember('{"mobile":"13333333333"}', Found);
  Check(Got and (Found = Member), 'TryGetMember finds it too');

  { What reached the gateway is UTF-8, whatever this program's code page. }
  Stored := Http('GET', '/__sandbox/members');
  Needle := BytesFromHex('226E616D65223A22E4BC9AE591984122'); { "name":"<UTF-8 name>" }
  Check(Pos(Needle, Stored) > 0,
    'the sandbox stored the name as UTF-8 (E4BC9AE5919841)', string(Copy(Stored, 1, 300)));
  Check(Pos(BytesFromHex('E5A487E6B3A8'), Stored) > 0, 'the sandbox stored the Chinese remark as UTF-8');
end;

procedure TestDuplicate(Client: TJdyClient);
var
  Raised: Boolean;
  Stats: RawByteString;
begin
  Raised := False;
  try
    Client.SaveMember(SeedMember('13333333333', NameA));
  except
    on E: EJdyError do
    begin
      Raised := True;
      Check(E.Kind = JdyKindApi, 'a second save of the mobile is refused with kind api', E.Kind);
      Check(E.HasErrCode and (E.ErrCode = 1000000004), 'the refusal has errcode 1000000004',
        IntToStr(E.ErrCode));
      Check(Copy(E.Description, 1, Length(DuplicateText)) = DuplicateText,
        'the description is Kingdee''s Chinese text, intact',
        Hex(E.Description));
      Check(Pos('13333333333', E.Description) > 0, 'the description names the mobile');
      Check(not E.Retryable and not E.OutcomeUnknown, 'the refusal is neither retryable nor of unknown outcome');
      Check(E.HttpStatus = 200, 'the refusal came with HTTP 200', IntToStr(E.HttpStatus));
      Check(Copy(E.EnvelopeJson, 1, 21) = '{"ok":false,"error":{', 'EnvelopeJson is the whole envelope',
        E.EnvelopeJson);
      Check(E.Message <> '', 'the exception has the library''s message');
    end;
  end;
  Check(Raised, 'the duplicate save raised EJdyError');
  Stats := Http('GET', '/__sandbox/stats');
  Check(SavesOf(Stats, '13333333333') = 1, 'the sandbox saved 13333333333 exactly once',
    string(Stats));
end;

procedure TestMissingAndList(Client: TJdyClient);
var
  Found, Page: string;
begin
  Check(Client.GetMember('{"mobile":"13900000000"}') = '', 'GetMember of a missing mobile is ''''');
  Check(not Client.TryGetMember('{"mobile":"13900000000"}', Found) and (Found = ''),
    'TryGetMember of a missing mobile is False');
  Page := Client.ListMembers('{"page":1,"page_size":10}');
  Check(Pos('"count":', Page) > 0, 'ListMembers returns a page', Copy(Page, 1, 200));
  Check(Pos('"name":"' + NameA + '"', Page) > 0, 'the page lists the Chinese name');
end;

procedure TestBatch(Client: TJdyClient);
var
  Data, DataDefault: string;
  Stats: RawByteString;
begin
  Data := Client.SaveMembers('[' + SeedMember('13500000001', NameB) + ',' +
    SeedMember('13333333333', NameA) + ',' + SeedMember('12', NameA) + ']', '{"concurrency":2}');
  Check(Pos('{"results":[{"ok":true,"data":', Data) = 1, 'the batch''s first member is saved', Copy(Data, 1, 200));
  Check(Count('{"ok":false,"error":{"kind":"api"', Data) = 1, 'the already stored member is refused by the gateway (api)');
  Check(Count('"errcode":1000000004', Data) = 1, 'with errcode 1000000004');
  Check(Count('{"ok":false,"error":{"kind":"validation"', Data) = 1, 'the invalid member is refused offline (validation)');
  Check((Pos('"saved":1', Data) > 0) and (Pos('"refused":2', Data) > 0) and (Pos('"failed":0', Data) > 0),
    'the batch counts 1 saved, 2 refused, 0 failed', Copy(Data, Length(Data) - 80, 81));
  Check(Pos(NameB, Data) > 0, 'the batch result has the second Chinese name');
  DataDefault := Client.SaveMembers('[' + SeedMember('13500000002', NameB) + ']');
  Check(Pos('"saved":1', DataDefault) > 0, 'SaveMembers without options uses the defaults', DataDefault);
  Stats := Http('GET', '/__sandbox/stats');
  Check((SavesOf(Stats, '13500000001') = 1) and (SavesOf(Stats, '13500000002') = 1) and
    (SavesOf(Stats, '13333333333') = 1) and (SavesOf(Stats, '12') = -1),
    'each batch member was saved at most once; the invalid one never reached the gateway', string(Stats));
end;

procedure TestRecoveredAndUnknown(Client: TJdyClient);
var
  Saved, Config: string;
  Recovered, Unknown, Retryable: Boolean;
  Stats: RawByteString;
  Slow: TJdyClient;
begin
  { The gateway stores the member, then drops the connection: the library finds it stored. }
  Http('POST', '/__sandbox/faults',
    '{"path":"/jdy/v2/ls/member","method":"POST","times":1,"fault":{"kind":"drop_after_processing"}}');
  Saved := Client.SaveMember(SeedMember('13700000001', NameA), Recovered);
  Check(Recovered, 'a save whose answer was lost says Recovered', Saved);
  Check(Hex(JsonField(Saved, 'name')) = Hex(NameA), 'the recovered member has the Chinese name');

  { The same, and every look-up fails too: the outcome is unknown, and the error says so. }
  Config := StringReplace(ConfigJson, '{', '{"deadline_ms":1500,"timeout_ms":400,"retry_backoff_ms":10,', []);
  Slow := TJdyClient.Create(Config);
  try
    Http('POST', '/__sandbox/faults',
      '[{"path":"/jdy/v2/ls/member","method":"POST","times":1,"fault":{"kind":"drop_after_processing"}},' +
      '{"path":"/jdy/v2/ls/member_detail","method":"GET","times":1000,"fault":{"kind":"status","status":503}}]');
    Unknown := False;
    Retryable := True;
    try
      Slow.SaveMember(SeedMember('13700000002', NameA));
    except
      on E: EJdyError do
      begin
        Unknown := E.OutcomeUnknown;
        Retryable := E.Retryable;
      end;
    end;
    Check(Unknown and not Retryable, 'a save whose answer and check both failed raises OutcomeUnknown, not retryable');
  finally
    Http('DELETE', '/__sandbox/faults');
    Slow.Free;
  end;
  Stats := Http('GET', '/__sandbox/stats');
  Check((SavesOf(Stats, '13700000001') = 1) and (SavesOf(Stats, '13700000002') = 1),
    'both were stored exactly once, never sent twice', string(Stats));
end;

procedure TestNetworkError;
var
  Config: string;
  Client: TJdyClient;
  Kind: string;
  Retryable: Boolean;
begin
  { The same credentials, a closed port on loopback, no retries. }
  Config := StringReplace(ConfigJson, '"base_url":"' + BaseUrl + '"', '"base_url":"http://127.0.0.1:1"', []);
  Config := StringReplace(Config, '{', '{"max_retries":0,"deadline_ms":5000,', []);
  Check(Pos('127.0.0.1:1"', Config) > 0, 'the closed-port configuration was built');
  Client := TJdyClient.Create(Config);
  try
    Kind := '';
    Retryable := False;
    try
      Client.GetMember('{"mobile":"13333333333"}');
    except
      on E: EJdyError do
      begin
        Kind := E.Kind;
        Retryable := E.Retryable;
      end;
    end;
    Check((Kind = JdyKindNetwork) and Retryable, 'a closed port raises network, retryable', Kind);
  finally
    Client.Free;
  end;
end;

procedure TestEnvelopeParsing;
var
  Data: string;
  IsNull, Recovered, Queued: Boolean;
  Kind, Msg, Desc: string;
  E2: EJdyError;
  Env: TJdyUtf8;
begin
  Data := JdyUnwrapEnvelope('{"ok":true,"data":{"a":"x"},"recovered":true}', IsNull, Recovered, Queued);
  Check((Data = '{"a":"x"}') and Recovered and not Queued and not IsNull, 'data and "recovered" are taken apart', Data);
  Data := JdyUnwrapEnvelope('{"ok":true,"data":"s","queued":true}', IsNull, Recovered, Queued);
  Check((Data = '"s"') and Queued and not Recovered, 'data and "queued" are taken apart', Data);
  Data := JdyUnwrapEnvelope('{"ok":true,"data":[1,{"b":null}],"recovered":true,"queued":true}', IsNull, Recovered, Queued);
  Check((Data = '[1,{"b":null}]') and Queued and Recovered, 'both marks are taken apart', Data);
  Data := JdyUnwrapEnvelope('{"ok":true,"data":{"recovered":true}}', IsNull, Recovered, Queued);
  Check((Data = '{"recovered":true}') and not Recovered, 'a "recovered" inside data is data', Data);
  Data := JdyUnwrapEnvelope('{"ok":true,"data":null}', IsNull, Recovered, Queued);
  Check(IsNull and (Data = ''), 'data null is IsNull');

  { Escapes: \" \\ \/ \n \u4f1a, a surrogate pair (U+1F600), a lone surrogate. }
  Env := '{"ok":false,"error":{"kind":"server","message":"a\"b\\c\/d\n\u4f1a","retryable":true,' +
    '"errcode":-5,"description":"\ud83d\ude00|\ud800x","description_cn":"\u5458",' +
    '"http_status":519,"outcome_unknown":true,"fields":[{"field":"mobile","message":"m1"},' +
    '{"message":"n1","field":"name","extra":{"x":[1,"]}"]}}]}}';
  E2 := EJdyError.CreateFromEnvelope(Env);
  try
    Check(E2.Kind = JdyKindServer, 'kind is read', E2.Kind);
    Check(HexBytes(JdyToUtf8(E2.ErrorMessage)) = HexBytes('a"b\c/d'#10 + BytesFromHex('E4BC9A')),
      'the message is unescaped to UTF-8 (\" \\ \/ \n \u4f1a)', HexBytes(JdyToUtf8(E2.ErrorMessage)));
{$IFNDEF UNICODE}
    if not IsGbk then
{$ENDIF}
      Check(HexBytes(JdyToUtf8(E2.Description)) = 'F09F98807CEFBFBD78',
        'a surrogate pair becomes one 4-byte character, a lone surrogate U+FFFD',
        HexBytes(JdyToUtf8(E2.Description)));
    Check(HexBytes(JdyToUtf8(E2.DescriptionCn)) = 'E59198', 'description_cn is read', HexBytes(JdyToUtf8(E2.DescriptionCn)));
    Check(E2.HasErrCode and (E2.ErrCode = -5) and (E2.HttpStatus = 519) and E2.Retryable and E2.OutcomeUnknown,
      'errcode, http_status, retryable and outcome_unknown are read');
    Check((E2.FieldCount = 2) and (E2.Fields[0].Field = 'mobile') and (E2.Fields[0].Message = 'm1') and
      (E2.Fields[1].Field = 'name') and (E2.Fields[1].Message = 'n1'), 'fields are read in order', E2.FieldNames);
  finally
    E2.Free;
  end;

  E2 := EJdyError.CreateFromEnvelope('{"ok":false,"error": { "kind" : "timeout" , "message" : "m" , "retryable" : true } }');
  try
    Check((E2.Kind = JdyKindTimeout) and E2.Retryable and (E2.ErrorMessage = 'm') and not E2.HasErrCode,
      'whitespace inside the error object is accepted', E2.Kind);
  finally
    E2.Free;
  end;

  Kind := '';
  try
    JdyUnwrapEnvelope('hello', IsNull, Recovered, Queued);
  except
    on E: EJdyError do
      Kind := E.Kind;
  end;
  Check(Kind = JdyKindInternal, 'an envelope without the prefix raises internal', Kind);
  Kind := '';
  Msg := '';
  try
    JdyUnwrapEnvelope('{"ok":false,"error":{"kind":"api","message":"unterminated', IsNull, Recovered, Queued);
  except
    on E: EJdyError do
    begin
      Kind := E.Kind;
      Msg := E.ErrorMessage;
    end;
  end;
  Check((Kind = JdyKindInternal) and (Pos('EnvelopeJson', Msg) > 0), 'a truncated error envelope raises internal, saying where to look', Kind + ': ' + Msg);
  Kind := '';
  try
    JdyUnwrapEnvelope('{"ok":true}', IsNull, Recovered, Queued);
  except
    on E: EJdyError do
      Kind := E.Kind;
  end;
  Check(Kind = JdyKindInternal, 'a success envelope without data raises internal', Kind);
  Desc := '';
  try
    JdyUnwrapEnvelope(Utf8Bytes('{"ok":false,"error":{"kind":"api","message":"x","retryable":false,' +
      '"errcode":1,"description":"', 'E7BB84', '"}}'), IsNull, Recovered, Queued);
  except
    on E: EJdyError do
      Desc := E.Description;
  end;
  Check(Hex(Desc) = Hex(Text('E7BB84', 'D7E9', [$7EC4])), 'raw UTF-8 in a description becomes the program''s string', Hex(Desc));
end;

{ ---- envelopes with marks after data (references, recovered, queued) ---- }

{ The kind JdyUnwrapEnvelope raises for Env ('' when it raises nothing). }
function UnwrapKind(const Env: TJdyUtf8): string;
var
  IsNull, Recovered, Queued: Boolean;
  Refs: string;
begin
  Result := '';
  try
    JdyUnwrapEnvelope(Env, IsNull, Recovered, Queued, Refs);
  except
    on E: EJdyError do
      Result := E.Kind;
  end;
end;

procedure TestEnvelopeMarks;
var
  Data, Refs, Big: string;
  IsNull, Recovered, Queued: Boolean;
  I: Integer;
begin
  Data := JdyUnwrapEnvelope('{"ok":true,"data":{"shop":"a"},"references":[{"field":"shop","kind":"store","value":"a"}]}',
    IsNull, Recovered, Queued, Refs);
  Check(Data = '{"shop":"a"}', 'data before "references" is the data alone', Data);
  Check(Refs = '[{"field":"shop","kind":"store","value":"a"}]', 'the references are the raw array', Refs);
  Data := JdyUnwrapEnvelope('{"ok":true,"data":{"a":1}}', IsNull, Recovered, Queued, Refs);
  Check((Data = '{"a":1}') and (Refs = '[]'), 'no references gives ''[]''', Refs);

  { Quotes, escapes and brackets inside strings, in data and in the references. }
  Data := JdyUnwrapEnvelope('{"ok":true,"data":{"v":"}]\",\"references\":[","w":"\\"},' +
    '"references":[{"field":"label[1]","kind":"label","value":"x\"]},{\\"}]}',
    IsNull, Recovered, Queued, Refs);
  Check(Data = '{"v":"}]\",\"references\":[","w":"\\"}', 'brackets, escaped quotes and backslashes inside data strings are data', Data);
  Check(Refs = '[{"field":"label[1]","kind":"label","value":"x\"]},{\\"}]', 'and inside reference strings too', Refs);
  Data := JdyUnwrapEnvelope('{"ok":true,"data":"a\",\"recovered\":true","queued":true}', IsNull, Recovered, Queued, Refs);
  Check((Data = '"a\",\"recovered\":true"') and Queued and not Recovered,
    'a mark spelt inside a data string is data', Data);
  Data := JdyUnwrapEnvelope('{"ok":true,"data":[[],{"a":[{}]},"\u005d"],"queued":true,"recovered":true}',
    IsNull, Recovered, Queued, Refs);
  Check((Data = '[[],{"a":[{}]},"\u005d"]') and Queued and Recovered, 'nested arrays, and marks in either order', Data);
  Data := JdyUnwrapEnvelope('{"ok":true,"data":12,"recovered":true}', IsNull, Recovered, Queued, Refs);
  Check((Data = '12') and Recovered, 'a number as data, then a mark', Data);
  Data := JdyUnwrapEnvelope('{"ok":true,"data":2,"from_a_newer_library":{"x":[1,"}"]}}', IsNull, Recovered, Queued, Refs);
  Check((Data = '2') and not Recovered and not Queued and (Refs = '[]'), 'a mark this unit does not know is skipped', Data);
  Data := JdyUnwrapEnvelope('{"ok":true,"data": {"a":1} , "references" : [ ] , "recovered" : true }',
    IsNull, Recovered, Queued, Refs);
  Check((Data = '{"a":1}') and Recovered and (Refs = '[ ]'), 'whitespace around data and marks', Data);
  Data := JdyUnwrapEnvelope('{"ok":true,"data":null,"references":[]}', IsNull, Recovered, Queued, Refs);
  Check(IsNull and (Data = ''), 'data null before a mark is IsNull');

  Check(UnwrapKind('{"ok":true,"data":{"a":1}') = JdyKindInternal, 'a success envelope cut after data raises internal');
  Check(UnwrapKind('{"ok":true,"data":{"a":"1}}') = JdyKindInternal, 'an unterminated string in data raises internal');
  Check(UnwrapKind('{"ok":true,"data":{"a":"\x"}}') = JdyKindInternal, 'a bad escape in data raises internal');
  Check(UnwrapKind('{"ok":true,"data":{"a":1}}x') = JdyKindInternal, 'text after the closing brace raises internal');
  Check(UnwrapKind('{"ok":true,"data":1 2}') = JdyKindInternal, 'a second value after data raises internal');
  Check(UnwrapKind('{"ok":true,"data":}') = JdyKindInternal, 'an empty data raises internal');
  Check(UnwrapKind('{"ok":true,"data":1,"references":{}}') = JdyKindInternal, 'references that are not an array raise internal');
  Check(UnwrapKind('{"ok":true,"data":1,"recovered"}') = JdyKindInternal, 'a mark without a value raises internal');
  Check(UnwrapKind('{"ok":true,"data":1,"recovered":true,}') = JdyKindInternal, 'a trailing comma raises internal');

  { A large data is read once through (no copy per string). }
  Big := '';
  SetLength(Big, 20000 * 7);
  for I := 0 to 19999 do
  begin
    Big[I * 7 + 1] := '"';
    Big[I * 7 + 2] := 'a';
    Big[I * 7 + 3] := '\';
    Big[I * 7 + 4] := '"';
    Big[I * 7 + 5] := 'b';
    Big[I * 7 + 6] := '"';
    Big[I * 7 + 7] := ',';
  end;
  Big := '[' + Copy(Big, 1, Length(Big) - 1) + ']';
  Data := JdyUnwrapEnvelope(JdyToUtf8('{"ok":true,"data":' + Big + ',"references":[]}'), IsNull, Recovered, Queued, Refs);
  Check(Data = Big, 'a data of 20000 strings is read whole', IntToStr(Length(Data)));
end;

{ ---- references by name, offline ---- }

procedure TestValidateReferences;
var
  Normalised, Refs: string;
begin
  Normalised := TJdyClient.ValidateMember(SeedMemberAt('13333333333', NameA, JdyJsonQuote(StoreName)), Refs);
  Check(Pos('"field":"shop"', Refs) > 0, 'ValidateMember lists a store given by name as a reference of field shop', Refs);
  Check(Pos('"kind":"store"', Refs) > 0, 'of kind store', Refs);
  Check(Pos('"value":"' + StoreName + '"', Refs) > 0, 'with the name as given, in the program''s string', Hex(Refs));
  Check((Copy(Refs, 1, 1) = '[') and (Copy(Refs, Length(Refs), 1) = ']'), 'the references are a JSON array', Refs);
  Check(JsonField(Normalised, 'shop') = StoreName, 'the data keeps the name as given (a save resolves it)', Normalised);
  Check(Pos('"references"', Normalised) = 0, 'the references are not part of the data', Normalised);
  Check(Copy(Normalised, Length(Normalised), 1) = '}', 'the data is the member object alone', Normalised);
  Normalised := TJdyClient.ValidateMember(SeedMember('13333333333', NameA), Refs);
  Check(Refs = '[]', 'a member with ids only has no references', Refs);
  Refs := 'unchanged';
  try
    TJdyClient.ValidateMember('{"mobile":"1"}', Refs);
  except
    on E: EJdyError do
      ;
  end;
  Check(Refs = '[]', 'an invalid member leaves ReferencesJson ''[]''', Refs);
end;

{ ---- a TJdyClient without a native client ---- }

{ The kind raised by method Which on Client ('no error' when none). }
function KindOf(Client: TJdyClient; Which: Integer): string;
begin
  Result := '';
  try
    case Which of
      0: Client.SaveMember(SeedMember('13333333333', NameA));
      1: Client.SaveMembers('[]');
      2: Client.GetMember('{"mobile":"13333333333"}');
      3: Client.ListMembers('{}');
      4: Client.OutboxAdd(SeedMember('13333333333', NameA));
      5: Client.OutboxFlush;
      6: Client.OutboxStatus;
      7: Client.OutboxList;
      8: Client.OutboxRetry('{"state":"refused"}');
      9: Client.OutboxDiscard('{"state":"refused"}');
      10: Client.Call('{"method":"GET","path":"/jdy/v2/ls/store"}');
      11: Client.Doctor;
      12: Client.OutboxFlush('{"max":1}');
      13: Client.OutboxList('{"state":"queued"}');
    end;
    Result := 'no error';
  except
    on E: EJdyError do
      Result := E.Kind;
  end;
end;

procedure TestNilClient;
const
  Names: array[0..13] of string = ('SaveMember', 'SaveMembers', 'GetMember', 'ListMembers',
    'OutboxAdd', 'OutboxFlush', 'OutboxStatus', 'OutboxList', 'OutboxRetry', 'OutboxDiscard',
    'Call', 'Doctor', 'OutboxFlush(options)', 'OutboxList(query)');
var
  Client: TJdyClient;
  I: Integer;
  Kind: string;
begin
  { A TJdyClient whose native client is NULL (what Destroy leaves behind): every method,
    old and new, gets the library's invalid_argument, raised as EJdyError. }
  Client := TJdyClient(TJdyClient.NewInstance);
  try
    Check(Client.Handle = nil, 'a client object without a native client has Handle nil');
    for I := 0 to High(Names) do
    begin
      Kind := KindOf(Client, I);
      Check(Kind = JdyKindInvalidArgument, Names[I] + ' on a client without a native client raises invalid_argument', Kind);
    end;
  finally
    Client.Free;
  end;
  Check(Pos('"kind":"invalid_argument"', string(JdyTakeEnvelope(jdy_outbox_add(nil, nil)))) > 0,
    'jdy_outbox_add(NULL, NULL) is invalid_argument');
  Check(Pos('"kind":"invalid_argument"', string(JdyTakeEnvelope(jdy_outbox_flush(nil, nil)))) > 0,
    'jdy_outbox_flush(NULL, NULL) is invalid_argument');
  Check(Pos('"kind":"invalid_argument"', string(JdyTakeEnvelope(jdy_outbox_status(nil)))) > 0,
    'jdy_outbox_status(NULL) is invalid_argument');
  Check(Pos('"kind":"invalid_argument"', string(JdyTakeEnvelope(jdy_outbox_list(nil, nil)))) > 0,
    'jdy_outbox_list(NULL, NULL) is invalid_argument');
  Check(Pos('"kind":"invalid_argument"', string(JdyTakeEnvelope(jdy_outbox_retry(nil, nil)))) > 0,
    'jdy_outbox_retry(NULL, NULL) is invalid_argument');
  Check(Pos('"kind":"invalid_argument"', string(JdyTakeEnvelope(jdy_outbox_discard(nil, nil)))) > 0,
    'jdy_outbox_discard(NULL, NULL) is invalid_argument');
  Check(Pos('"kind":"invalid_argument"', string(JdyTakeEnvelope(jdy_call(nil, nil)))) > 0,
    'jdy_call(NULL, NULL) is invalid_argument');
  Check(Pos('"kind":"invalid_argument"', string(JdyTakeEnvelope(jdy_doctor(nil)))) > 0,
    'jdy_doctor(NULL) is invalid_argument');
end;

{ ---- call, references by name, doctor (live sandbox) ---- }

procedure TestCall(Client: TJdyClient);
var
  Data, Kind, Names: string;
begin
  Data := Client.Call('{"method":"GET","path":"/jdy/v2/ls/store","query":{"page":1}}');
  Check(Pos('"name":"' + StoreName + '"', Data) > 0, 'Call GET /jdy/v2/ls/store lists the store by its Chinese name', Copy(Data, 1, 300));
  Check(Pos(StoreId, Data) > 0, 'with its id', Copy(Data, 1, 300));
  Data := Client.Call('{"method":"GET","path":"/jdy/v2/ls/mb_level"}');
  Check(Pos(GoldCard, Data) > 0, 'Call GET /jdy/v2/ls/mb_level lists the level gold card', Copy(Data, 1, 300));
  Kind := '';
  Names := '';
  try
    Client.Call('{"method":"GET","path":"/other/x"}');
  except
    on E: EJdyError do
    begin
      Kind := E.Kind;
      Names := E.FieldNames;
    end;
  end;
  Check((Kind = JdyKindValidation) and (Names = 'path'), 'Call of a path outside /jdy/ raises validation naming field path',
    Kind + ' ' + Names);
  Kind := '';
  try
    Client.Call('');
  except
    on E: EJdyError do
      Kind := E.Kind;
  end;
  Check(Kind = JdyKindInvalidArgument, 'Call('''') raises invalid_argument', Kind);
end;

{ The stored member (from GET /__sandbox/members) with this mobile, as raw text ('' when none). }
function StoredMember(const Mobile: string): RawByteString;
var
  All: RawByteString;
  P, A, B: Integer;
begin
  Result := '';
  All := Http('GET', '/__sandbox/members');
  P := Pos('"mobile":"' + RawByteString(Mobile) + '"', All);
  if P = 0 then
    Exit;
  A := P;
  while (A > 1) and (All[A] <> '{') do
    Dec(A);
  B := P;
  while (B < Length(All)) and (All[B] <> '}') do
    Inc(B);
  Result := Copy(All, A, B - A + 1);
end;

procedure TestSaveByName(Client: TJdyClient);
var
  Saved, Msg, Kind, Names: string;
  Stored, Stats: RawByteString;
begin
  Saved := Client.SaveMember(SeedMemberAt('13800000001', NameA, JdyJsonQuote(StoreName)));
  Check(JsonField(Saved, 'mobile') = '13800000001', 'SaveMember with shop given by name saves', Saved);
  Stored := StoredMember('13800000001');
  Check(Pos('"shop":"' + StoreId + '"', Stored) > 0, 'the store name was resolved to the store''s id', string(Stored));
  Kind := '';
  Msg := '';
  Names := '';
  try
    Client.SaveMember(SeedMemberAt('13800000002', NameA, MisspeltStoreJson));
  except
    on E: EJdyError do
    begin
      Kind := E.Kind;
      Msg := E.ErrorMessage;
      Names := E.FieldNames;
    end;
  end;
  Check(Kind = JdyKindValidation, 'a misspelt store raises validation', Kind);
  Check(Pos('did you mean', Msg) > 0, 'whose message says "did you mean"', Msg);
  Check(Pos(StoreName, Msg) > 0, 'and names the store meant', Msg);
  Check(Names = 'shop', 'naming field shop', Names);
  Stats := Http('GET', '/__sandbox/stats');
  Check((SavesOf(Stats, '13800000001') = 1) and (SavesOf(Stats, '13800000002') = -1),
    'the member by name was saved once; the misspelt one never reached the gateway', string(Stats));
end;

procedure TestDoctor(Client: TJdyClient);
var
  Data: string;
begin
  Data := Client.Doctor;
  Check(Pos('"checks":[', Data) > 0, 'Doctor returns its checks', Copy(Data, 1, 200));
  Check(Pos('"failed":0', Data) > 0, 'none fails against the healthy sandbox', Data);
  Check(Pos('"verdict":"ok"', Data) > 0, 'some are ok', Copy(Data, 1, 200));
end;

{ ---- the outbox ---- }

{ The kind an outbox method raises ('no error' when none). }
function OutboxKind(Client: TJdyClient; Which: Integer; const Json: string): string;
begin
  Result := '';
  try
    case Which of
      0: Client.OutboxAdd(Json);
      1: Client.OutboxStatus;
      2: Client.OutboxRetry(Json);
      3: Client.OutboxDiscard(Json);
    end;
    Result := 'no error';
  except
    on E: EJdyError do
      Result := E.Kind;
  end;
end;

procedure RemoveTree(const Dir: string);
var
  Found: TSearchRec;
begin
  if FindFirst(IncludeTrailingPathDelimiter(Dir) + '*', faAnyFile, Found) = 0 then
  begin
    repeat
      if (Found.Name <> '.') and (Found.Name <> '..') then
        DeleteFile(IncludeTrailingPathDelimiter(Dir) + Found.Name);
    until FindNext(Found) <> 0;
    FindClose(Found);
  end;
  RemoveDir(Dir);
end;

procedure TestOutbox(Client: TJdyClient);
var
  Dir, OutboxPath, Offline, Live, Data, Saved, Id: string;
  Till, Sender: TJdyClient;
  Recovered, Queued: Boolean;
  Stats: RawByteString;
begin
  Randomize;
  Dir := IncludeTrailingPathDelimiter(GetTempDir(False)) + 'jdy-pascal-outbox-' +
    IntToStr(GetProcessID) + '-' + IntToStr(Random(1000000));
  Check(ForceDirectories(Dir), 'a temporary directory for the outbox', Dir);
  OutboxPath := IncludeTrailingPathDelimiter(Dir) + 'outbox.db';
  { The same credentials; the gateway unreachable (nothing listens on port 1). }
  Offline := StringReplace(ConfigJson, '"base_url":"' + BaseUrl + '"', '"base_url":"http://127.0.0.1:1"', []);
  Offline := StringReplace(Offline, '{', '{"outbox_path":' + JdyJsonQuote(OutboxPath) +
    ',"offline":"queue","max_retries":0,"deadline_ms":5000,', []);
  Live := StringReplace(ConfigJson, '{', '{"outbox_path":' + JdyJsonQuote(OutboxPath) + ',', []);
  Check((Pos('127.0.0.1:1"', Offline) > 0) and (Pos('"outbox_path"', Live) > 0), 'the outbox configurations were built');
  try
    Till := TJdyClient.Create(Offline);
    try
      Data := Till.OutboxAdd(SeedMember('13800000003', NameA));
      Check(Pos('"state":"queued"', Data) > 0, 'OutboxAdd answers "state":"queued"', Data);
      Check(Copy(JsonField(Data, 'outbox_id'), 1, 3) = 'ob-', 'with an outbox_id', Data);
      Data := Till.OutboxStatus;
      Check(Pos('"queued":1', Data) > 0, 'OutboxStatus shows "queued":1', Data);
      Data := Till.OutboxList;
      Check((Pos('"count":1', Data) > 0) and (Pos('13800000003', Data) > 0), 'OutboxList lists the queued member', Copy(Data, 1, 300));
      Check(Pos(NameA, Data) > 0, 'with its Chinese name in the program''s string', Copy(Data, 1, 300));
      Data := Till.OutboxList('{"state":"saved"}');
      Check(Pos('"count":0', Data) > 0, 'OutboxList with a query filters by state', Data);
      { With "offline":"queue", a save the gateway cannot take is queued instead. }
      Saved := Till.SaveMember(SeedMember('13800000004', NameB), Recovered, Queued);
      Check(Queued and not Recovered, 'SaveMember on an unreachable gateway with offline queue says Queued', Saved);
      Check(Pos('"state":"queued"', Saved) > 0, 'its data is the outbox item', Saved);
      Data := Till.OutboxStatus;
      Check(Pos('"queued":2', Data) > 0, 'the outbox holds both', Data);
      Check(OutboxKind(Till, 0, '{"mobile":"12"}') = JdyKindValidation, 'OutboxAdd of an invalid member raises validation');
      Check(OutboxKind(Till, 0, '') = JdyKindInvalidArgument, 'OutboxAdd('''') raises invalid_argument');
      Check(OutboxKind(Till, 2, '') = JdyKindInvalidArgument, 'OutboxRetry('''') raises invalid_argument');
      Check(OutboxKind(Till, 3, '') = JdyKindInvalidArgument, 'OutboxDiscard('''') raises invalid_argument');
    finally
      Till.Free;
    end;

    { Another client on the same file, with the sandbox reachable, sends them. }
    Sender := TJdyClient.Create(Live);
    try
      Data := Sender.OutboxFlush('{"max":1}');
      Check(Pos('"saved":1', Data) > 0, 'OutboxFlush with options sends at most max items ("saved":1)', Data);
      Check(Pos('"left":1', Data) > 0, 'and leaves the other', Data);
      Data := Sender.OutboxFlush;
      Check(Pos('"saved":1', Data) > 0, 'OutboxFlush of a second client on the same outbox_path saves the rest ("saved":1)', Data);
      Data := Sender.OutboxStatus;
      Check((Pos('"queued":0', Data) > 0) and (Pos('"saved":2', Data) > 0), 'the outbox has none queued, two saved', Data);
      Data := Sender.OutboxList('{"state":"saved"}');
      Check(Pos('"count":2', Data) > 0, 'OutboxList lists both as saved', Copy(Data, 1, 300));
      Data := Sender.OutboxRetry('{"state":"refused"}');
      Check(Pos('"requeued":0', Data) > 0, 'OutboxRetry of every refused item: none', Data);
      Data := Sender.OutboxDiscard('{"state":"refused"}');
      Check(Pos('"discarded":0', Data) > 0, 'OutboxDiscard of every refused item: none', Data);
      { A queued item never sent can be discarded by its id. }
      Data := Sender.OutboxAdd(SeedMember('13800000005', NameA));
      Id := JsonField(Data, 'outbox_id');
      Data := Sender.OutboxDiscard('{"outbox_id":' + JdyJsonQuote(Id) + '}');
      Check(Pos('"state":"discarded"', Data) > 0, 'OutboxDiscard of a queued item by its id', Data);
      Check(OutboxKind(Sender, 2, '{"outbox_id":"ob-nothing"}') <> 'no error', 'OutboxRetry of an unknown id raises EJdyError');
    finally
      Sender.Free;
    end;
  finally
    RemoveTree(Dir);
  end;
  Check(not DirectoryExists(Dir), 'the temporary outbox was removed', Dir);
  Check(OutboxKind(Client, 1, '') = JdyKindConfig, 'OutboxStatus on a client without outbox_path raises config');
  Stats := Http('GET', '/__sandbox/stats');
  Check((SavesOf(Stats, '13800000003') = 1) and (SavesOf(Stats, '13800000004') = 1) and
    (SavesOf(Stats, '13800000005') = -1),
    'the flushed members were saved exactly once, the discarded one never', string(Stats));
end;

procedure TestQuote;
var
  Q, Normalised: string;
begin
  Q := JdyJsonQuote('A"B\C'#10#1);
  Check(Q = '"A\"B\\C\u000a\u0001"', 'JdyJsonQuote escapes quote, backslash and control characters', Q);
  Normalised := TJdyClient.ValidateMember('{"mobile":"13333333333","name":' +
    JdyJsonQuote(TrailBackslash + 'x"y') + '}');
  Check(Pos(JdyJsonQuote(TrailBackslash + 'x"y'), Normalised) > 0,
    'a name whose GBK bytes contain a backslash (U+4E57) survives quoting', Normalised);
end;

procedure TestFpuMask;
var
  Before: TFPUExceptionMask;
begin
  Before := GetExceptionMask;
  TJdyClient.ValidateMember(SeedMember('13333333333', NameA));
  Check(GetExceptionMask = Before, 'the caller''s floating-point exception mask is restored');
  { Valgrind runs the program with its own floating-point state. }
  if GetEnvironmentVariable('JDY_TEST_UNDER_VALGRIND') = '' then
    Check(not (exInvalidOp in Before), 'the mask under test is FPC''s default (invalid operation unmasked)');
end;

type
  TSaver = class(TThread)
  private
    FClient: TJdyClient;
    FIndex: Integer;
  public
    Saved: Integer;
    Error: string;
    constructor Create(Client: TJdyClient; Index: Integer);
    procedure Execute; override;
  end;

constructor TSaver.Create(Client: TJdyClient; Index: Integer);
begin
  FClient := Client;
  FIndex := Index;
  inherited Create(False);
end;

procedure TSaver.Execute;
var
  I: Integer;
begin
  for I := 1 to 5 do
    try
      FClient.SaveMember(SeedMember(Format('136%.4d%.4d', [FIndex, I]), NameB));
      Inc(Saved);
    except
      on E: Exception do
        Error := E.Message;
    end;
end;

procedure TestThreads(Client: TJdyClient);
var
  Savers: array[0..3] of TSaver;
  I, J, Total, Once: Integer;
  Errors: string;
  Stats: RawByteString;
begin
  for I := 0 to High(Savers) do
    Savers[I] := TSaver.Create(Client, I);
  Total := 0;
  Errors := '';
  for I := 0 to High(Savers) do
  begin
    Savers[I].WaitFor;
    Inc(Total, Savers[I].Saved);
    Errors := Errors + Savers[I].Error;
    Savers[I].Free;
  end;
  Check(Total = 20, '4 threads saved 20 members on one client', IntToStr(Total) + ' ' + Errors);
  Stats := Http('GET', '/__sandbox/stats');
  Once := 0;
  for I := 0 to 3 do
    for J := 1 to 5 do
      if SavesOf(Stats, Format('136%.4d%.4d', [I, J])) = 1 then
        Inc(Once);
  Check(Once = 20, 'each of them was saved exactly once', IntToStr(Once));
  Check(StatNumber(Stats, 'token_calls') = 1, 'the clients of this run shared one token (the library shares it in-process)', string(Stats));
end;

procedure Run;
var
  Client: TJdyClient;
begin
  TestVersion;
  TestNullSafeFrees;
  TestRawNullArguments;
  TestBadConfig;
  TestVersionNotNetworked;
  TestValidation;
  TestEnvelopeParsing;
  TestEnvelopeMarks;
  TestValidateReferences;
  TestNilClient;
  TestQuote;
  TestFpuMask;
  TestNetworkError;
  Client := TJdyClient.Create(ConfigJson);
  try
    TestInvalidArgument(Client);
    TestSaveAndReadBack(Client);
    TestDuplicate(Client);
    TestMissingAndList(Client);
    TestBatch(Client);
    TestRecoveredAndUnknown(Client);
    TestThreads(Client);
    { After the token check of TestThreads: these create clients of their own. }
    TestCall(Client);
    TestSaveByName(Client);
    TestDoctor(Client);
    TestOutbox(Client);
  finally
    Client.Free;
  end;
end;

begin
  if ParamCount <> 3 then
  begin
    Writeln('usage: test_jdy_member CONFIG_FILE BASE_URL EXPECTED_VERSION');
    Halt(2);
  end;
  ConfigJson := Trim(ReadFileText(ParamStr(1)));
  BaseUrl := ParamStr(2);
  ExpectedVersion := ParamStr(3);
{$IFDEF UNICODE}
  Writeln('# string = UnicodeString');
{$ELSE}
  Writeln('# string = AnsiString, DefaultSystemCodePage = ', DefaultSystemCodePage
    {$IFDEF JDY_FORCE_VIA_WIDE}, ', Delphi 7 conversion code'{$ENDIF});
  if (DefaultSystemCodePage <> 0) and (DefaultSystemCodePage <> 936) and (DefaultSystemCodePage <> 65001) then
  begin
    Writeln('run under a UTF-8 or a GBK (zh_CN.GBK) locale, not code page ', DefaultSystemCodePage);
    Halt(2);
  end;
{$ENDIF}
  try
    Http('POST', '/__sandbox/reset');
    Run;
  except
    on E: Exception do
      Check(False, 'the tests ran to the end', E.ClassName + ': ' + E.Message);
  end;
  Writeln('test_jdy_member: ', Passed, ' passed, ', Failed, ' failed');
  if Failed > 0 then
    Halt(1);
end.
