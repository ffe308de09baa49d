// The C API of jdy_member from C++11: the header's extern "C" block links, and the
// ownership rules map onto std::unique_ptr with the library's own free functions.
//
// Build (scripts/test-native does this):
//   c++ -std=c++11 -Wall -Wextra -Werror -Iinclude tests/c/test_cpp.cpp
//       -Ltarget/release -ljdy_member -o test_cpp
// Run with JDY_TEST_CONFIG set as for tests/c/test_jdy_member.c.
// The last line printed is "N passed, M failed".

#include "jdy_member.h"
#include "check.h"

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

namespace {

// Envelopes are freed by jdy_string_free, never by free() or delete.
struct StringFree {
    void operator()(char *s) const { jdy_string_free(s); }
};
typedef std::unique_ptr<char, StringFree> Envelope;

struct ClientFree {
    void operator()(JdyClient *c) const { jdy_client_free(c); }
};
typedef std::unique_ptr<JdyClient, ClientFree> Client;

// 会员A as UTF-8 bytes ("A" apart: "\x98A" would be one escape).
const char NAME_A[] = "\xe4\xbc\x9a\xe5\x91\x98" "A";

Client make_client(const std::string &config, Envelope &error)
{
    char *raw_error = nullptr;
    Client client(jdy_client_new(config.c_str(), &raw_error));
    error.reset(raw_error);
    return client;
}

void test_offline()
{
    const char *version = jdy_version();
    CHECK(version != nullptr && std::string(version).find('.') != std::string::npos, "%s", version);

    std::string member = std::string("{\"mobile\":\"13800000088\",\"name\":\"") + NAME_A + "\"}";
    Envelope valid(jdy_member_validate(member.c_str()));
    CHECK(env_ok(valid.get()), "%s", show(valid.get()));

    Envelope invalid(jdy_member_validate("{\"mobile\":\"138\",\"name\":\"\",\"sex_group\":\"9\"}"));
    CHECK(env_kind_is(invalid.get(), "validation"), "%s", show(invalid.get()));
    CHECK(contains(invalid.get(), "{\"field\":\"mobile\",") && contains(invalid.get(), "{\"field\":\"name\",") &&
              contains(invalid.get(), "{\"field\":\"sex_group\","),
          "%s", show(invalid.get()));

    Envelope null_member(jdy_member_validate(nullptr));
    CHECK(env_kind_is(null_member.get(), "invalid_argument"), "%s", show(null_member.get()));

    Envelope error;
    Client bad = make_client("{\"client_id\":\"fake\"}", error);
    CHECK(!bad, "an incomplete configuration made a client");
    CHECK(env_kind_is(error.get(), "config"), "%s", show(error.get()));
}

void test_sandbox()
{
    char *raw_config = test_config();
    CHECK(raw_config != nullptr, "JDY_TEST_CONFIG gives the sandbox configuration");
    if (raw_config == nullptr) {
        return;
    }
    std::string config(raw_config);
    std::free(raw_config);

    Envelope error;
    Client client = make_client(config, error);
    CHECK(client && !error, "%s", show(error.get()));
    if (!client) {
        return;
    }
    std::string member = std::string("{\"mobile\":\"13800000088\",\"name\":\"") + NAME_A + "\",\"remark\":\"C++\"}";
    Envelope saved(jdy_member_save(client.get(), member.c_str()));
    CHECK(env_ok(saved.get()), "%s", show(saved.get()));

    Envelope read(jdy_member_get(client.get(), "{\"mobile\":\"13800000088\"}"));
    CHECK(env_ok(read.get()), "%s", show(read.get()));
    CHECK(contains(read.get(), (std::string("\"name\":\"") + NAME_A + "\"").c_str()), "%s", show(read.get()));
    CHECK(contains(read.get(), "\"mobile\":\"13800000088\""), "decrypted: %s", show(read.get()));

    // filtered by name, so the member is on the first page whatever else the sandbox holds;
    // the list row carries the remark that detail does not
    Envelope page(jdy_member_list(client.get(), (std::string("{\"name\":\"") + NAME_A + "\",\"page_size\":100}").c_str()));
    CHECK(env_ok(page.get()) && contains(page.get(), "\"mobile\":\"13800000088\""), "%s", show(page.get()));
    CHECK(contains(page.get(), "\"remark\":\"C++\""), "%s", show(page.get()));

    Envelope batch(jdy_member_save_batch(client.get(), "[{\"mobile\":\"13800000089\",\"name\":\"b\"},{\"mobile\":\"1\",\"name\":\"c\"}]",
                                         "{\"concurrency\":2}"));
    CHECK(env_ok(batch.get()) && contains(batch.get(), "\"saved\":1") && contains(batch.get(), "\"refused\":1"), "%s",
          show(batch.get()));
}

} // namespace

int main()
{
    std::printf("jdy_member %s, C++ tests\n", jdy_version());
    test_offline();
    test_sandbox();
    return check_summary();
}
