/*
 * AES-256-GCM through the OpenSSL inside the Node.js binary (node-gyp links
 * against its headers; the symbols resolve from the process). node:crypto
 * builds a new cipher context, fetches the cipher and expands the key on
 * every createCipheriv; here a context is made once per key and each call
 * only sets the IV. Calls are synchronous and a context is used by the one
 * thread that made it (an External cannot cross threads).
 */
#include <node_api.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stddef.h>

#define KEY_LENGTH 32
#define IV_LENGTH 12
#define TAG_LENGTH 16
/* OpenSSL counts lengths in int. */
#define MAX_LENGTH 0x7fffffff

/* Marks this addon's contexts, so that no other External is ever taken for one. */
static const napi_type_tag CONTEXT_TAG = {0x6b6d732d6165732dULL, 0x67636d2d63747831ULL};

static void free_context(napi_env env, void* data, void* hint) {
  (void)env;
  (void)hint;
  /* Frees the context and cleanses the key schedule in it. */
  EVP_CIPHER_CTX_free((EVP_CIPHER_CTX*)data);
}

static napi_value fail(napi_env env, const char* message) {
  napi_throw_type_error(env, NULL, message);
  return NULL;
}

/* The bytes of a Uint8Array (a Buffer is one); false for anything else (napi_get_typedarray_info refuses a non-typed array). */
static bool bytes_of(napi_env env, napi_value value, unsigned char** data, size_t* length) {
  napi_typedarray_type type;
  void* at = NULL;
  if (napi_get_typedarray_info(env, value, &type, length, &at, NULL, NULL) != napi_ok || type != napi_uint8_array) return false;
  *data = at;
  return *length <= MAX_LENGTH;
}

static bool context_of(napi_env env, napi_value value, EVP_CIPHER_CTX** ctx) {
  napi_valuetype type;
  bool tagged = false;
  if (napi_typeof(env, value, &type) != napi_ok || type != napi_external) return false;
  if (napi_check_object_type_tag(env, value, &CONTEXT_TAG, &tagged) != napi_ok || !tagged) return false;
  return napi_get_value_external(env, value, (void**)ctx) == napi_ok && *ctx != NULL;
}

/* The five arguments of seal and open: context, IV, input, AAD, output. */
typedef struct {
  EVP_CIPHER_CTX* ctx;
  unsigned char *iv, *in, *aad, *out;
  size_t iv_length, in_length, aad_length, out_length;
} Call;

static bool call_of(napi_env env, napi_callback_info info, Call* c) {
  size_t argc = 5;
  napi_value argv[5];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 5) return false;
  return context_of(env, argv[0], &c->ctx) && bytes_of(env, argv[1], &c->iv, &c->iv_length) && c->iv_length == IV_LENGTH &&
         bytes_of(env, argv[2], &c->in, &c->in_length) && bytes_of(env, argv[3], &c->aad, &c->aad_length) &&
         bytes_of(env, argv[4], &c->out, &c->out_length);
}

/* IV, then the AAD, then the input into out: the common start of seal and open. */
static bool start(const Call* c, int encrypt, size_t length) {
  int n = 0;
  if (EVP_CipherInit_ex(c->ctx, NULL, NULL, NULL, c->iv, encrypt) != 1) return false;
  if (c->aad_length > 0 && EVP_CipherUpdate(c->ctx, NULL, &n, c->aad, (int)c->aad_length) != 1) return false;
  if (length > 0 && (EVP_CipherUpdate(c->ctx, c->out, &n, c->in, (int)length) != 1 || (size_t)n != length)) return false;
  return true;
}

static napi_value create(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  unsigned char* key = NULL;
  size_t key_length = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 1 || !bytes_of(env, argv[0], &key, &key_length) ||
      key_length != KEY_LENGTH)
    return fail(env, "AES-256-GCM needs a 32-byte key");
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  if (ctx == NULL || EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, NULL, 1) != 1) {
    EVP_CIPHER_CTX_free(ctx);
    napi_throw_error(env, NULL, "AES-256-GCM: OpenSSL could not set up the key");
    return NULL;
  }
  napi_value external;
  if (napi_create_external(env, ctx, free_context, NULL, &external) != napi_ok) {
    EVP_CIPHER_CTX_free(ctx);
    return NULL;
  }
  /* On failure the External still owns the context: its finalizer frees it. */
  if (napi_type_tag_object(env, external, &CONTEXT_TAG) != napi_ok) return NULL;
  return external;
}

static napi_value seal(napi_env env, napi_callback_info info) {
  Call c;
  if (!call_of(env, info, &c) || c.out_length != c.in_length + TAG_LENGTH)
    return fail(env, "AES-256-GCM seal: (context, 12-byte IV, plaintext, AAD, output of plaintext + 16 bytes)");
  int n = 0;
  if (!start(&c, 1, c.in_length) || EVP_CipherFinal_ex(c.ctx, c.out + c.in_length, &n) != 1 ||
      EVP_CIPHER_CTX_ctrl(c.ctx, EVP_CTRL_GCM_GET_TAG, TAG_LENGTH, c.out + c.in_length) != 1) {
    OPENSSL_cleanse(c.out, c.out_length);
    napi_throw_error(env, NULL, "AES-256-GCM: OpenSSL refused to seal");
    return NULL;
  }
  return NULL;
}

static napi_value open_sealed(napi_env env, napi_callback_info info) {
  Call c;
  if (!call_of(env, info, &c) || c.in_length < TAG_LENGTH || c.out_length != c.in_length - TAG_LENGTH)
    return fail(env, "AES-256-GCM open: (context, 12-byte IV, ciphertext and tag, AAD, output of ciphertext - 16 bytes)");
  size_t body = c.in_length - TAG_LENGTH;
  /* The tag is copied out first: the output may overlap the input. */
  unsigned char tag[TAG_LENGTH];
  for (size_t i = 0; i < TAG_LENGTH; i++) tag[i] = c.in[body + i];
  int n = 0;
  /* OpenSSL compares the tag in constant time. */
  bool ok = start(&c, 0, body) && EVP_CIPHER_CTX_ctrl(c.ctx, EVP_CTRL_GCM_SET_TAG, TAG_LENGTH, tag) == 1 &&
            EVP_CipherFinal_ex(c.ctx, c.out + body, &n) == 1;
  if (!ok) OPENSSL_cleanse(c.out, c.out_length);
  napi_value result;
  napi_get_boolean(env, ok, &result);
  return result;
}

static bool export_function(napi_env env, napi_value exports, const char* name, napi_callback cb) {
  napi_value fn;
  return napi_create_function(env, name, NAPI_AUTO_LENGTH, cb, NULL, &fn) == napi_ok &&
         napi_set_named_property(env, exports, name, fn) == napi_ok;
}

NAPI_MODULE_INIT() {
  if (!export_function(env, exports, "create", create) || !export_function(env, exports, "seal", seal) ||
      !export_function(env, exports, "open", open_sealed))
    return NULL;
  return exports;
}
