package org.vestibule.error;

import jakarta.servlet.DispatcherType;
import jakarta.servlet.RequestDispatcher;
import jakarta.servlet.http.HttpServletRequest;
import java.util.Map;
import org.springframework.boot.webmvc.error.ErrorController;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/** Errors raised outside controllers (the servlet container's) still get a Matrix error body. */
@RestController
class MatrixErrorController implements ErrorController {

    private final ApplicationEventPublisher events;

    MatrixErrorController(ApplicationEventPublisher events) {
        this.events = events;
    }

    @RequestMapping("/error")
    ResponseEntity<Map<String, Object>> error(HttpServletRequest request) {
        Object code = request.getAttribute(RequestDispatcher.ERROR_STATUS_CODE);
        if (request.getDispatcherType() != DispatcherType.ERROR) {
            // Asked for directly: /error is no Matrix endpoint.
            return MatrixErrorHandler.body(404, Errcode.UNRECOGNIZED, "Unrecognized request: " + request.getMethod()
                    + " " + request.getRequestURI(), Map.of());
        }
        int status = code instanceof Integer i ? i : 500;
        if (DatabaseUnavailable.causedBy((Throwable) request.getAttribute(RequestDispatcher.ERROR_EXCEPTION))) {
            Object path = request.getAttribute(RequestDispatcher.ERROR_REQUEST_URI);
            events.publishEvent(new DatabaseOutageSeen(request.getMethod(), String.valueOf(path)));
            return MatrixErrorHandler.databaseUnavailable();
        }
        ErrorStatus error = ErrorStatus.of(status);
        return MatrixErrorHandler.body(status, error.errcode(), error.message(), Map.of());
    }
}
