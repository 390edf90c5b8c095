/* A PKCS#11 module that behaves like a smart card in front of SoftHSM2 (test stand-in).
 *
 * SoftHSM2 counts no PIN tries and its tokens never leave a reader. A CPS read through the
 * Cryptolib does both: three tries, the CKF_USER_PIN_COUNT_LOW / FINAL_TRY / LOCKED flags,
 * CKR_PIN_LOCKED, and CKR_DEVICE_REMOVED / CKR_TOKEN_NOT_PRESENT once the card is pulled.
 * This module forwards every call to the module named by LAP_CARD_FILTER_TARGET and adds that
 * behaviour, with its state in files under LAP_CARD_FILTER_STATE (a card's EEPROM):
 *   tries         the PIN tries left (3 when absent); 0 = locked
 *   pulled        present = the card is out of the reader
 *   pull-on-sign  present = the card is pulled when a C_Sign arrives, after letting through as
 *                 many signatures as the number it holds (empty: none)
 * Both variables are read once, when the module is loaded. The state applies to every token of
 * the target module; a copy of this module at another path is another card (its own state).
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <p11-kit/pkcs11.h>

#define MAX_TRIES 3

static CK_FUNCTION_LIST target_copy;
static CK_FUNCTION_LIST_PTR target = NULL;
static CK_FUNCTION_LIST filtered;

static char state_dir[4096] = ".";  /* read once, when the module is loaded */

static void state_path(char *out, size_t size, const char *name) {
    snprintf(out, size, "%s/%s", state_dir, name);
}

static int state_exists(const char *name) {
    char path[4096];
    state_path(path, sizeof path, name);
    return access(path, F_OK) == 0;
}

static void state_touch(const char *name) {
    char path[4096];
    state_path(path, sizeof path, name);
    FILE *f = fopen(path, "w");
    if (f) fclose(f);
}

static void state_remove(const char *name) {
    char path[4096];
    state_path(path, sizeof path, name);
    unlink(path);
}

static int tries_left(void) {
    char path[4096];
    int tries = MAX_TRIES;
    state_path(path, sizeof path, "tries");
    FILE *f = fopen(path, "r");
    if (f) {
        if (fscanf(f, "%d", &tries) != 1) tries = MAX_TRIES;
        fclose(f);
    }
    return tries;
}

static void set_tries_left(int tries) {
    char path[4096];
    state_path(path, sizeof path, "tries");
    FILE *f = fopen(path, "w");
    if (f) {
        fprintf(f, "%d\n", tries);
        fclose(f);
    }
}

static int pulled(void) { return state_exists("pulled"); }

static CK_RV filter_GetSlotList(CK_BBOOL present, CK_SLOT_ID_PTR list, CK_ULONG_PTR count) {
    if (present && pulled()) {  /* no token anywhere */
        *count = 0;
        return CKR_OK;
    }
    return target->C_GetSlotList(present, list, count);
}

static CK_RV filter_GetSlotInfo(CK_SLOT_ID slot, CK_SLOT_INFO_PTR info) {
    CK_RV rv = target->C_GetSlotInfo(slot, info);
    if (rv == CKR_OK && pulled()) info->flags &= ~(CK_FLAGS)CKF_TOKEN_PRESENT;
    return rv;
}

static CK_RV filter_GetTokenInfo(CK_SLOT_ID slot, CK_TOKEN_INFO_PTR info) {
    if (pulled()) return CKR_TOKEN_NOT_PRESENT;
    CK_RV rv = target->C_GetTokenInfo(slot, info);
    if (rv != CKR_OK) return rv;
    int tries = tries_left();
    info->flags &= ~(CK_FLAGS)(CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_FINAL_TRY | CKF_USER_PIN_LOCKED);
    if (tries <= 0) info->flags |= CKF_USER_PIN_LOCKED;
    else if (tries == 1) info->flags |= CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_FINAL_TRY;
    else if (tries < MAX_TRIES) info->flags |= CKF_USER_PIN_COUNT_LOW;
    return CKR_OK;
}

static CK_RV filter_OpenSession(CK_SLOT_ID slot, CK_FLAGS flags, CK_VOID_PTR app, CK_NOTIFY notify,
                                CK_SESSION_HANDLE_PTR session) {
    if (pulled()) return CKR_TOKEN_NOT_PRESENT;
    return target->C_OpenSession(slot, flags, app, notify, session);
}

static CK_RV filter_Login(CK_SESSION_HANDLE session, CK_USER_TYPE user, CK_UTF8CHAR_PTR pin, CK_ULONG len) {
    if (pulled()) return CKR_DEVICE_REMOVED;
    if (user == CKU_USER && tries_left() <= 0) return CKR_PIN_LOCKED;
    CK_RV rv = target->C_Login(session, user, pin, len);
    if (user != CKU_USER) return rv;
    if (rv == CKR_PIN_INCORRECT) {
        int tries = tries_left() - 1;
        set_tries_left(tries);
        return tries <= 0 ? CKR_PIN_LOCKED : CKR_PIN_INCORRECT;
    }
    if (rv == CKR_OK || rv == CKR_USER_ALREADY_LOGGED_IN) set_tries_left(MAX_TRIES);
    return rv;
}

static CK_RV filter_Sign(CK_SESSION_HANDLE session, CK_BYTE_PTR data, CK_ULONG len, CK_BYTE_PTR sig,
                         CK_ULONG_PTR sig_len) {
    if (pulled()) return CKR_DEVICE_REMOVED;
    if (sig != NULL && state_exists("pull-on-sign")) {  /* pulled while the card computes */
        char path[4096];
        int skip = 0;
        state_path(path, sizeof path, "pull-on-sign");
        FILE *f = fopen(path, "r");
        if (f) {
            if (fscanf(f, "%d", &skip) != 1) skip = 0;
            fclose(f);
        }
        if (skip > 0) {
            f = fopen(path, "w");
            if (f) {
                fprintf(f, "%d\n", skip - 1);
                fclose(f);
            }
        } else {
            state_remove("pull-on-sign");
            state_touch("pulled");
            return CKR_DEVICE_REMOVED;
        }
    }
    return target->C_Sign(session, data, len, sig, sig_len);
}

/* Every other call on a session fails once the card is out, as with a real reader. */
#define GUARD(name, params, args) \
    static CK_RV filter_##name params { \
        if (pulled()) return CKR_DEVICE_REMOVED; \
        return target->C_##name args; \
    }
GUARD(SignInit, (CK_SESSION_HANDLE s, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE k), (s, m, k))
GUARD(FindObjectsInit, (CK_SESSION_HANDLE s, CK_ATTRIBUTE_PTR t, CK_ULONG n), (s, t, n))
GUARD(FindObjects, (CK_SESSION_HANDLE s, CK_OBJECT_HANDLE_PTR o, CK_ULONG m, CK_ULONG_PTR n), (s, o, m, n))
GUARD(GetAttributeValue, (CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_PTR t, CK_ULONG n), (s, o, t, n))
GUARD(GetSessionInfo, (CK_SESSION_HANDLE s, CK_SESSION_INFO_PTR i), (s, i))
GUARD(Logout, (CK_SESSION_HANDLE s), (s))

/* The same process may also load the target directly: share its initialisation. */
static CK_RV filter_Initialize(CK_VOID_PTR args) {
    CK_RV rv = target->C_Initialize(args);
    return rv == CKR_CRYPTOKI_ALREADY_INITIALIZED ? CKR_OK : rv;
}

static CK_RV filter_Finalize(CK_VOID_PTR reserved) {
    (void)reserved;
    return CKR_OK;  /* the target stays initialised for whoever else uses it */
}

static CK_RV filter_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR list);

static CK_RV load_target(void) {
    if (target) return CKR_OK;
    const char *path = getenv("LAP_CARD_FILTER_TARGET");
    const char *dir = getenv("LAP_CARD_FILTER_STATE");
    if (!path) return CKR_GENERAL_ERROR;
    if (dir) snprintf(state_dir, sizeof state_dir, "%s", dir);
    void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!handle) return CKR_GENERAL_ERROR;
    CK_C_GetFunctionList get = (CK_C_GetFunctionList)dlsym(handle, "C_GetFunctionList");
    CK_FUNCTION_LIST_PTR list = NULL;
    if (!get || get(&list) != CKR_OK || !list) return CKR_GENERAL_ERROR;
    memcpy(&target_copy, list, sizeof target_copy);
    target = &target_copy;
    memcpy(&filtered, list, sizeof filtered);
    filtered.C_GetFunctionList = filter_GetFunctionList;
    filtered.C_Initialize = filter_Initialize;
    filtered.C_Finalize = filter_Finalize;
    filtered.C_GetSlotList = filter_GetSlotList;
    filtered.C_GetSlotInfo = filter_GetSlotInfo;
    filtered.C_GetTokenInfo = filter_GetTokenInfo;
    filtered.C_OpenSession = filter_OpenSession;
    filtered.C_Login = filter_Login;
    filtered.C_Logout = filter_Logout;
    filtered.C_Sign = filter_Sign;
    filtered.C_SignInit = filter_SignInit;
    filtered.C_FindObjectsInit = filter_FindObjectsInit;
    filtered.C_FindObjects = filter_FindObjects;
    filtered.C_GetAttributeValue = filter_GetAttributeValue;
    filtered.C_GetSessionInfo = filter_GetSessionInfo;
    return CKR_OK;
}

static CK_RV filter_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR list) {
    CK_RV rv = load_target();
    if (rv != CKR_OK) return rv;
    *list = &filtered;
    return CKR_OK;
}

CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR list) { return filter_GetFunctionList(list); }
