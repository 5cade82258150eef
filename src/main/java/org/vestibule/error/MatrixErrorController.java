package org.vestibule.error;

import jakarta.servlet.RequestDispatcher;
import jakarta.servlet.http.HttpServletRequest;
import java.util.Map;
import org.springframework.boot.webmvc.error.ErrorController;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/** Errors raised outside controllers (the servlet container's) still get a Matrix error body. */
@RestController
class MatrixErrorController implements ErrorController {

    @RequestMapping("/error")
    ResponseEntity<Map<String, Object>> error(HttpServletRequest request) {
        Object code = request.getAttribute(RequestDispatcher.ERROR_STATUS_CODE);
        int status = code instanceof Integer i ? i : 500;
        String errcode = switch (status) {
            case 400 -> Errcode.BAD_JSON;
            case 401 -> Errcode.UNAUTHORIZED;
            case 403 -> Errcode.FORBIDDEN;
            case 404, 405 -> Errcode.UNRECOGNIZED;
            case 413 -> Errcode.TOO_LARGE;
            default -> Errcode.UNKNOWN;
        };
        String message = switch (status) {
            case 400 -> "Bad request";
            case 404 -> "Unrecognized request";
            case 413 -> "The request body is too large";
            default -> "Request failed with status " + status;
        };
        return MatrixErrorHandler.body(status, errcode, message, Map.of());
    }
}
